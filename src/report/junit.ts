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
  const suites = [...byTarget].map(([target, scenarios]) => {
    const count = (...statuses: ScenarioResult['status'][]): number => scenarios.filter((s) => statuses.includes(s.status) && !s.waiver).length;
    const waived = scenarios.filter((s) => s.waiver).length;
    const seconds = scenarios.reduce((sum, s) => sum + s.durationMs, 0) / 1000;
    const cases = scenarios.map((s) => testcase(target, s)).join('\n');
    return `  <testsuite name="mtlspec ${xml(target)}" tests="${scenarios.length}" failures="${count('failed')}" errors="${count('error')}" skipped="${count('inconclusive', 'skipped') + waived}" time="${seconds.toFixed(3)}" timestamp="${xml(results.startedAt)}">\n${cases}\n  </testsuite>`;
  });
  const total = results.scenarios.length;
  // A waived failure is reported as skipped, with its waiver's reason: listed, never hidden, and not failing the build.
  const failures = results.totals.failed - results.scenarios.filter((s) => s.status === 'failed' && s.waiver).length;
  const errors = results.totals.error - results.scenarios.filter((s) => s.status === 'error' && s.waiver).length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="mtlspec" tests="${total}" failures="${failures}" errors="${errors}" time="${(results.wallMs / 1000).toFixed(3)}">\n${suites.join('\n')}\n</testsuites>\n`;
}

function testcase(target: string, scenario: ScenarioResult): string {
  const name = scenario.record?.caseId ?? scenario.name;
  const open = `    <testcase classname="mtlspec.${xml(target)}" name="${xml(name)}" time="${(scenario.durationMs / 1000).toFixed(3)}">`;
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
