import { describeOutcome, formatAlert, type Outcome } from '../probe/outcome.js';

/** 'skipped': the case could not be probed in this run (e.g. it needs the CA key); never judged. */
export type VerdictStatus = 'passed' | 'failed' | 'inconclusive' | 'skipped';

export interface Verdict {
  readonly status: VerdictStatus;
  /** One sentence a reviewer can act on. */
  readonly why: string;
  readonly expected: string;
  readonly observed: string;
  /** The SHOULD tier: was the alert one of those the rules name? */
  readonly alert?: { expected: readonly string[]; observed: string | undefined; matches: boolean };
}

export interface Expectation {
  readonly expect: 'accepted' | 'rejected';
  readonly expectedAlerts: readonly string[];
}

/**
 * Expectation + outcome + control -> verdict. The control is the outcome of
 * the valid credential on the same target and path in the same run. A refusal
 * only proves something when the valid credential got through: a server that
 * refuses everybody (down, misrouted, wrong CA configured) must never make a
 * negative case pass. And when even the valid credential is refused, the
 * harness was most likely given the wrong CA or identity, so positive cases
 * are inconclusive too rather than failed. So: no accepted control, no verdict.
 */
export function judge(expectation: Expectation, outcome: Outcome, control: Outcome | undefined): Verdict {
  const observed = describeOutcome(outcome);
  const expected = describeExpectation(expectation);
  const verdict = (status: VerdictStatus, why: string): Verdict => ({ status, why, expected, observed, ...alertCheck(expectation, outcome) });

  if (outcome.kind === 'unreachable') {
    return verdict('inconclusive', `the probe could not get an answer, so nothing can be said: ${outcome.detail}`);
  }
  if (!control) {
    return verdict('inconclusive', 'no control probe was made in this run, so the answer cannot be interpreted');
  }
  if (control.kind !== 'accepted') {
    return verdict('inconclusive', `the valid control credential was not accepted on the same path (${describeOutcome(control)}); check the CA, the SPIFFE ID and the URL given to mtlspec`);
  }
  if (outcome.kind === expectation.expect) {
    return verdict('passed', expectation.expect === 'rejected' ? 'the target refused this connection and accepted the valid control' : 'the target accepted this connection, as it must');
  }
  return expectation.expect === 'rejected'
    ? verdict('failed', `the target accepted a connection it must refuse (${outcome.detail})`)
    : verdict('failed', `the target refused a connection it must accept, though it accepted the valid control (${observed})`);
}

function describeExpectation(expectation: Expectation): string {
  if (expectation.expect === 'accepted') return 'accepted';
  return expectation.expectedAlerts.length > 0 ? `rejected (${expectation.expectedAlerts.join(' or ')})` : 'rejected';
}

/** Alerts differ between implementations, so they are checked apart and never decide a MUST verdict. */
function alertCheck(expectation: Expectation, outcome: Outcome): Pick<Verdict, 'alert'> {
  if (expectation.expect !== 'rejected' || expectation.expectedAlerts.length === 0 || outcome.kind !== 'rejected') return {};
  const observed = outcome.tls.alert ? formatAlert(outcome.tls.alert) : undefined;
  const matches = outcome.tls.alert !== undefined && expectation.expectedAlerts.includes(outcome.tls.alert.name);
  return { alert: { expected: expectation.expectedAlerts, observed, matches } };
}

/** The verdict of a case this run could not probe, saying why; it counts neither way. */
export function notProbed(expectation: Expectation, why: string): Verdict {
  return { status: 'skipped', why, expected: describeExpectation(expectation), observed: 'not probed' };
}
