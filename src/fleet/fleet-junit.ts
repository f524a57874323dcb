import { junitDocument, junitSuite } from '../report/junit.js';
import type { ScenarioResult } from '../report/results.js';
import type { RunResults } from '../report/run-results.js';
import type { FleetResults, FleetTargetResult } from './fleet-results.js';

/**
 * junit.xml of a fleet: one <testsuite> per target, named by the target's
 * inventory name, built from its own results (the same <testcase>s, with
 * their evidence, as its single-run junit.xml). A target whose run judged
 * nothing is one <testcase> named "target": skipped with the reason when it
 * was inconclusive, an <error> when its run broke, so CI shows it either way.
 */
export function renderFleetJunit(results: FleetResults, fullResultsOf: (target: FleetTargetResult) => RunResults | undefined): string {
  const all: ScenarioResult[] = [];
  const suites = results.targets.map((target) => {
    const full = fullResultsOf(target);
    const scenarios = full?.scenarios ?? [standIn(target)];
    all.push(...scenarios);
    return junitSuite(`mtlspec ${target.name}`, `mtlspec.${target.name}`, scenarios, full?.startedAt ?? results.startedAt);
  });
  return junitDocument(suites, all, results.wallMs);
}

/** The one testcase of a target that has no scenarios to show. */
function standIn(target: FleetTargetResult): ScenarioResult {
  const status = target.verdict === 'inconclusive' ? 'inconclusive' : target.verdict === 'passed' ? 'skipped' : 'error';
  return { name: 'target', status, why: target.reason || `exit code ${target.exitCode ?? 'none'}`, durationMs: target.wallMs, retries: 0 };
}
