import type { ClientCase, ConformanceCase, ServerCase, ServerCheckContext } from '../catalogue/case.js';
import { describeOutcome, formatAlert, type Outcome } from '../probe/outcome.js';

/**
 * passed: the MUST was met and nothing weaker was amiss.
 * warning: the MUST was met (or the case is SHOULD-level) but a SHOULD was not:
 *   the wrong alert, or a SHOULD case failed. --strict turns it into failed.
 * failed / inconclusive: as they say. skipped: not probed in this run, with why.
 * info: an INFO case, observed and reported, never judged.
 */
export type VerdictStatus = 'passed' | 'warning' | 'failed' | 'inconclusive' | 'skipped' | 'info';

export interface Verdict {
  readonly status: VerdictStatus;
  /** One sentence a reviewer can act on. */
  readonly why: string;
  readonly expected: string;
  readonly observed: string;
  /** The SHOULD tier: was the alert one of those the rules name? */
  readonly alert?: { expected: readonly string[]; observed: string | undefined; matches: boolean };
  /**
   * Whether the target did what the case requires, whatever the level and the
   * alert: false is a detected flaw (failed, or a warning for a SHOULD case).
   * Undefined when nothing was judged (inconclusive, skipped, info).
   */
  readonly expectationMet?: boolean;
}

export interface JudgeOptions {
  /** SHOULD-level findings fail instead of warn. */
  readonly strict: boolean;
}

/**
 * Client case + outcome + control -> verdict. The control is the outcome of
 * the valid credential on the same target and path in the same run. A refusal
 * only proves something when the valid credential got through: a server that
 * refuses everybody (down, misrouted, wrong CA configured) must never make a
 * negative case pass. And when even the valid credential is refused, the
 * harness was most likely given the wrong CA or identity, so positive cases
 * are inconclusive too rather than failed. So: no accepted control, no verdict.
 */
export function judge(testCase: ClientCase, outcome: Outcome, control: Outcome | undefined, options: JudgeOptions): Verdict {
  const observed = describeOutcome(outcome);
  const expected = describeExpectation(testCase);
  const alert = alertCheck(testCase, outcome);
  const verdict = (status: VerdictStatus, why: string, expectationMet?: boolean): Verdict => ({
    status, why, expected, observed, ...(alert ? { alert } : {}), ...(expectationMet !== undefined ? { expectationMet } : {}),
  });

  if (outcome.kind === 'unreachable') {
    return verdict('inconclusive', `the probe could not get an answer, so nothing can be said: ${outcome.detail}`);
  }
  if (testCase.expect === 'observed') {
    return verdict('info', `informational: the target ${outcome.kind} it`);
  }
  if (!control) {
    return verdict('inconclusive', 'no control probe was made in this run, so the answer cannot be interpreted');
  }
  if (control.kind !== 'accepted') {
    return verdict('inconclusive', `the valid control credential was not accepted on the same path (${describeOutcome(control)}); check the CA, the SPIFFE ID and the URL given to mtlspec`);
  }
  if (outcome.kind !== testCase.expect) {
    const why =
      testCase.expect === 'rejected'
        ? `the target accepted a connection it must refuse (${outcome.detail})`
        : `the target refused a connection it must accept, though it accepted the valid control (${observed})`;
    return verdict(...weakenForLevel(testCase, 'failed', why, options), false);
  }
  if (alert && !alert.matches) {
    const why = `the target refused as it must, but ${alert.observed ? `with the alert ${alert.observed}` : 'without an alert'}; RFC 8446 6.2 says it SHOULD send ${alert.expected.join(' or ')}`;
    return verdict(options.strict ? 'failed' : 'warning', why, true);
  }
  return verdict('passed', testCase.expect === 'rejected' ? 'the target refused this connection and accepted the valid control' : 'the target accepted this connection, as it must', true);
}

/**
 * A server case: a property of the server's certificate, read from the
 * control probe. It needs only a completed handshake, not an accepted control.
 */
export function judgeServer(testCase: ServerCase, control: Outcome | undefined, context: ServerCheckContext, options: JudgeOptions): Verdict {
  const expected = `the server's certificate meets ${testCase.rule}`;
  const server = control?.tls.server;
  if (!control || !server) {
    const observed = control ? describeOutcome(control) : 'no control probe';
    return { status: 'inconclusive', why: `no server certificate was seen (${observed})`, expected, observed };
  }
  const problem = testCase.check(server, context);
  if (problem === undefined) return { status: 'passed', why: 'the server certificate meets the rule', expected, observed: 'as required', expectationMet: true };
  if (testCase.level === 'INFO') return { status: 'info', why: problem, expected, observed: problem };
  const [status, why] = weakenForLevel(testCase, 'failed', problem, options);
  return { status, why, expected, observed: problem, expectationMet: false };
}

/** The verdict of a case this run could not probe, saying why; it counts neither way. */
export function notProbed(testCase: ConformanceCase, why: string): Verdict {
  return { status: 'skipped', why, expected: testCase.kind === 'client' ? describeExpectation(testCase) : `the server's certificate meets ${testCase.rule}`, observed: 'not probed' };
}

/** A SHOULD-level case that fails is a warning unless --strict. */
function weakenForLevel(testCase: ConformanceCase, status: 'failed', why: string, options: JudgeOptions): [VerdictStatus, string] {
  if (testCase.level === 'SHOULD' && !options.strict) return ['warning', `${why} (a SHOULD-level rule: a warning unless --strict)`];
  return [status, why];
}

function describeExpectation(testCase: ClientCase): string {
  if (testCase.expect !== 'rejected') return testCase.expect;
  return testCase.expectedAlerts.length > 0 ? `rejected (${testCase.expectedAlerts.join(' or ')})` : 'rejected';
}

/** Alerts differ between implementations, so they are checked apart and never decide a MUST verdict. */
function alertCheck(testCase: ClientCase, outcome: Outcome): Verdict['alert'] {
  if (testCase.expect !== 'rejected' || testCase.expectedAlerts.length === 0 || outcome.kind !== 'rejected') return undefined;
  const observed = outcome.tls.alert ? formatAlert(outcome.tls.alert) : undefined;
  const matches = outcome.tls.alert !== undefined && testCase.expectedAlerts.includes(outcome.tls.alert.name);
  return { expected: testCase.expectedAlerts, observed, matches };
}
