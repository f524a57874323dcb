import { describeOutcome, type Outcome } from '../probe/outcome.js';
import type { Verdict } from '../verdict/judge.js';
import type { ServerCredentialCase } from './case.js';

/**
 * The verdict on one client case, in two layers, control first:
 * 1. Did the client accept the valid server credential (the control) in
 *    this run, before the cases and again after them? If not, nothing a
 *    refusal shows can be read: the client may be misconfigured, or
 *    refuse everything.
 * 2. Did it send application data over this case's credential? A client
 *    that never connected is inconclusive, never passed.
 * Then the SHOULD tier: the alert the client sent, when it refused.
 */
export interface ClientBracket {
  /** The control run first: the valid server credential. */
  readonly before: Outcome | undefined;
  /** The control run again after the last case; a refusal counts only if this was accepted too. */
  readonly after: Outcome | undefined;
}

export function judgeClient(testCase: ServerCredentialCase, outcome: Outcome, bracket: ClientBracket, options: { strict: boolean }): Verdict {
  const observed = describeOutcome(outcome);
  const expected = testCase.expect === 'accepted' ? 'the client sends application data over this server credential'
    : testCase.expect === 'refused' ? 'the client sends no application data over this server credential' : 'nothing (recorded only)';
  const base = { expected, observed };
  if (outcome.kind === 'unreachable' || outcome.kind === 'shed') {
    return { ...base, status: 'inconclusive', why: `the client never got through a TLS handshake with mtlspec (${outcome.detail}), so it said nothing about this credential` };
  }
  if (testCase.expect === 'observed') {
    return { ...base, status: 'info', why: outcome.kind === 'accepted' ? 'the client accepted it (recorded, not judged)' : 'the client refused it (recorded, not judged)' };
  }
  if (testCase.expect === 'accepted') {
    // The control itself: judged on its own outcome alone.
    return outcome.kind === 'accepted'
      ? { ...base, status: 'passed', why: 'the client accepted the valid server credential', expectationMet: true }
      : { ...base, status: 'failed', why: `the client refused the valid server credential (${outcome.detail}): check that --exec passes {ca} and connects to {host}:{port}`, expectationMet: false };
  }
  if (bracket.before?.kind !== 'accepted') {
    return { ...base, status: 'inconclusive', why: 'the client did not accept the valid server credential (the control) in this run, so its refusal of this one means nothing: check the command, {ca}, {host} and {port}' };
  }
  if (outcome.kind === 'accepted') {
    const failed = testCase.level === 'MUST' || options.strict;
    return { ...base, status: failed ? 'failed' : 'warning', why: `the client sent application data over this server credential (${testCase.title}); it must refuse it (${testCase.rule})`, expectationMet: false };
  }
  if (bracket.after !== undefined && bracket.after.kind !== 'accepted') {
    return { ...base, status: 'inconclusive', why: 'the client no longer accepted the valid server credential after the cases, so its refusals cannot be told from a client that stopped working' };
  }
  const alertName = outcome.tls.alert?.name;
  if (testCase.expectedAlerts.length === 0) return { ...base, status: 'passed', why: 'the client refused it', expectationMet: true };
  const matches = alertName !== undefined && testCase.expectedAlerts.includes(alertName);
  const alert = { expected: testCase.expectedAlerts, observed: alertName, matches };
  if (matches) return { ...base, alert, status: 'passed', why: `the client refused it with the alert ${alertName}`, expectationMet: true };
  const said = alertName ? `the alert ${alertName}` : 'no alert';
  return {
    ...base,
    alert,
    status: options.strict ? 'failed' : 'warning',
    why: `the client refused it as it must, but with ${said}; RFC 8446 6.2 says it SHOULD send ${testCase.expectedAlerts.join(' or ')}`,
    expectationMet: true,
  };
}

/** A case the run cannot judge for the client under test, with the reason. */
export function skippedClientCase(why: string): Verdict {
  return { status: 'skipped', why, expected: 'not run', observed: 'not run' };
}
