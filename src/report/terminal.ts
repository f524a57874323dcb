import path from 'node:path';
import type { ResultStatus, ScenarioResult } from './results.js';

/** What a person sees in the terminal: a line per scenario, then one summary line. */

const marks: Record<ResultStatus, string> = { passed: 'PASS', warning: 'WARN', failed: 'FAIL', inconclusive: 'INCONCLUSIVE', skipped: 'SKIP', info: 'INFO', error: 'ERROR' };

export function scenarioLine(result: ScenarioResult): string {
  const label = result.record ? `${result.record.caseId} over ${result.record.protocol}` : result.name;
  const why = result.status === 'passed' ? '' : result.status === 'info' ? `: ${result.why}` : `\n      ${result.why}`;
  return `  ${marks[result.status].padEnd(12)} ${label} (${result.durationMs} ms)${why}`;
}

export function countByStatus(results: readonly ScenarioResult[]): Record<ResultStatus, number> {
  const counts: Record<ResultStatus, number> = { passed: 0, warning: 0, failed: 0, inconclusive: 0, skipped: 0, info: 0, error: 0 };
  for (const r of results) counts[r.status] += 1;
  return counts;
}

export function summaryLine(results: readonly ScenarioResult[], wallMs: number, htmlReport: string): string {
  const c = countByStatus(results);
  const errors = c.error > 0 ? `, ${c.error} error` : '';
  const skipped = c.skipped > 0 ? `, ${c.skipped} skipped` : '';
  const warnings = c.warning > 0 ? ` (+${c.warning} passed with a SHOULD warning)` : '';
  const info = c.info > 0 ? `, ${c.info} informational` : '';
  const report = path.relative(process.cwd(), htmlReport) || htmlReport;
  return `mtlspec: ${results.length} scenarios: ${c.passed} passed${warnings}, ${c.failed} failed, ${c.inconclusive} inconclusive${skipped}${info}${errors} in ${(wallMs / 1000).toFixed(2)} s; report: ${report}`;
}
