import type { RunResults } from './run-results.js';
import type { ScenarioResult } from './results.js';
import { evidenceText } from './evidence.js';

/**
 * JUnit XML as GitLab, Jenkins and GitHub's test-report actions read it: one
 * <testsuite> per target, one <testcase> per case, named by its stable case
 * id (classname mtlspec.<target>), the verdict's reason as the failure
 * message. Inconclusive and skipped cases are <skipped> with the reason;
 * a scenario that ended without a verdict is an <error>.
 */
export function renderJunit(results: RunResults): string {
  const byTarget = new Map<string, ScenarioResult[]>();
  for (const scenario of results.scenarios) {
    const target = scenario.record?.protocol ?? 'unknown';
    byTarget.set(target, [...(byTarget.get(target) ?? []), scenario]);
  }
  const suites = [...byTarget].map(([target, scenarios]) => junitSuite(`mtlspec ${target}`, `mtlspec.${target}`, scenarios, results.startedAt));
  return junitDocument(suites, results.scenarios, results.wallMs);
}

/** The <testsuites> envelope; a waived failure is reported as skipped, with its waiver's reason: listed, never hidden, and not failing the build. */
export function junitDocument(suites: readonly string[], scenarios: readonly ScenarioResult[], wallMs: number): string {
  const failures = scenarios.filter((s) => s.status === 'failed' && !s.waiver).length;
  const errors = scenarios.filter((s) => s.status === 'error' && !s.waiver).length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="mtlspec" tests="${scenarios.length}" failures="${failures}" errors="${errors}" time="${(wallMs / 1000).toFixed(3)}">\n${suites.join('\n')}\n</testsuites>\n`;
}

/** One <testsuite>: a target's scenarios, each a <testcase> of this classname. */
export function junitSuite(name: string, classname: string, scenarios: readonly ScenarioResult[], timestamp: string): string {
  const count = (...statuses: ScenarioResult['status'][]): number => scenarios.filter((s) => statuses.includes(s.status) && !s.waiver).length;
  const waived = scenarios.filter((s) => s.waiver).length;
  const seconds = scenarios.reduce((sum, s) => sum + s.durationMs, 0) / 1000;
  const cases = scenarios.map((s) => testcase(classname, s)).join('\n');
  return `  <testsuite name="${xml(name)}" tests="${scenarios.length}" failures="${count('failed')}" errors="${count('error')}" skipped="${count('inconclusive', 'skipped') + waived}" time="${seconds.toFixed(3)}" timestamp="${xml(timestamp)}">\n${cases}\n  </testsuite>`;
}

function testcase(classname: string, scenario: ScenarioResult): string {
  const name = scenario.record?.caseId ?? scenario.name;
  const open = `    <testcase classname="${xml(classname)}" name="${xml(name)}" time="${(scenario.durationMs / 1000).toFixed(3)}">`;
  const evidence = scenario.record ? `\n      <system-out>${xml(evidenceText(scenario.record))}</system-out>` : '';
  const outcome: Record<ScenarioResult['status'], string> = {
    passed: '',
    info: '',
    warning: '',
    failed: `\n      <failure message="${xml(scenario.why)}" type="${xml(scenario.record?.level ?? 'MUST')}">${xml(scenario.why)}</failure>`,
    error: `\n      <error message="${xml(scenario.why)}" type="harness">${xml(scenario.why)}</error>`,
    inconclusive: `\n      <skipped message="${xml(`inconclusive: ${scenario.why}`)}"/>`,
    skipped: `\n      <skipped message="${xml(scenario.why)}"/>`,
  };
  const waived = scenario.waiver ? `\n      <skipped message="${xml(`waived (${scenario.status}: ${scenario.why}): ${scenario.waiver.reason}`)}"/>` : undefined;
  return `${open}${waived ?? outcome[scenario.status]}${evidence}\n    </testcase>`;
}

/** XML-escapes text and drops characters XML 1.0 cannot carry (a target's bytes can be anything). */
function xml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}
