import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ReportDir, ReportPaths } from '../run/report-dir.js';
import { reportPaths } from '../run/report-dir.js';
import type { RunResults } from '../report/run-results.js';
import { renderFleetJunit } from './fleet-junit.js';
import { renderFleetPage } from './fleet-page.js';
import { readJsonFile, targetResultsFile, writeFleetResults, type FleetResults } from './fleet-results.js';

/**
 * Writes a fleet's three reports (index.html, junit.xml, results.json) into
 * the staging folder, beside the targets' folders, then publishes all of
 * it: a fleet run and a merge end the same way.
 */
export function publishFleetReport(reportDir: ReportDir, finalDir: string, fleet: FleetResults): ReportPaths {
  const staged = reportPaths(reportDir.staging);
  writeFleetResults(staged.results, fleet);
  writeFileSync(staged.index, renderFleetPage(fleet));
  writeFileSync(staged.junit, renderFleetJunit(fleet, (target) => readJsonFile(targetResultsFile(reportDir.staging, target)) as RunResults | undefined));
  // The targets' folders first, so the files that point into them never arrive before them.
  const targets = path.join(finalDir, 'targets');
  rmSync(targets, { recursive: true, force: true });
  const stagedTargets = path.join(reportDir.staging, 'targets');
  if (existsSync(stagedTargets)) renameSync(stagedTargets, targets);
  return reportDir.publish(staged);
}

/** The fleet's totals as the terminal's last line. */
export function fleetSummaryLine(fleet: FleetResults, index: string): string {
  const v = fleet.verdicts;
  return `mtlspec: ${fleet.targets.length} targets: ${v.passed} passed, ${v.failed} failed, ${v.inconclusive} inconclusive, ${v.error} error in ${(fleet.wallMs / 1000).toFixed(1)} s; report: ${path.relative(process.cwd(), index) || index}`;
}
