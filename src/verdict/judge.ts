import { refusalMayPrecedeCertificate, type ClientCase, type ConformanceCase, type ServerCase, type ServerCheckContext } from '../catalogue/case.js';
import { describeNotPresented } from '../probe/client-flight.js';
import { refusalSignal, saysNoCertificateReceived } from './refusal-signal.js';
import { weakAcceptance } from './acceptance-basis.js';
import { describeOutcome, formatAlert, type Outcome } from '../probe/outcome.js';
import { spreadFailure, type ConnectionSpread } from '../proxy/replica-spread.js';
import { judgeEchoedIdentity, type EchoFacts } from '../proxy/identity-echo.js';

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
  /**
   * Something worth a look that is not a verdict on the rule: the target
   * stopped answering the valid credential right after this case's, and
   * never came back (a crash on this certificate is a denial of service).
   */
  readonly finding?: string;
}

/**
 * The valid control credential around one case's probe, on the same target
 * and path: accepted before it (else nothing the case shows can be read),
 * and, when the case was refused, probed again after it on a fresh
 * connection (else the refusal may be the target going down, shedding load
 * or hitting a connection cap, not a judgement of the credential).
 */
export interface Bracket {
  readonly before: Outcome | undefined;
  readonly after?: Outcome;
  /** The case probed again right after a refusal without a signal (a bare close, an HTTP 400), which counts only when it repeats. */
  readonly repeat?: Outcome;
  /** The control stayed refused or unreachable after this case, through every retry. */
  readonly targetLost?: boolean;
  /** Why the case was not probed at all, when it was not (the target was lost earlier). */
  readonly notProbedBecause?: string;
  /** With --repeat N: how the case's N connections went (the outcome judged is the one that decides). */
  readonly spread?: ConnectionSpread;
  /** Identity cases: who the answer says called, and who did (src/proxy/identity-echo.ts). */
  readonly echo?: EchoFacts;
}

export interface JudgeOptions {
  /** SHOULD-level findings fail instead of warn. */
  readonly strict: boolean;
}

/**
 * Client case + outcome + bracket -> verdict. The bracket is the valid
 * control credential on the same target and path, before the case and (after
 * a refusal) after it. A refusal only proves something when the target
 * provably saw the credential and still accepted the valid one right after:
 * a server that refuses everybody (down, crashed, rate-limited, misrouted,
 * wrong CA configured) must never make a negative case pass. And when even
 * the valid credential is refused, the harness was most likely given the
 * wrong CA or identity, so positive cases are inconclusive too rather than
 * failed. So: no accepted control, no verdict.
 */
export function judge(testCase: ClientCase, first: Outcome | undefined, bracket: Bracket, options: JudgeOptions): Verdict {
  // A bare refusal that the same credential got past on the next connection was no refusal: judge what came through.
  const outcome = first?.kind === 'rejected' && bracket.repeat?.kind === 'accepted' ? bracket.repeat : first;
  const observed = !outcome ? 'not probed' : outcome === first ? describeOutcome(outcome) : `${describeOutcome(outcome)}, on a second connection right after ${describeOutcome(first ?? outcome)}`;
  const expected = describeExpectation(testCase);
  const alert = outcome ? alertCheck(testCase, outcome) : undefined;
  const verdict = (status: VerdictStatus, why: string, expectationMet?: boolean): Verdict => ({
    status, why, expected, observed, ...(alert ? { alert } : {}), ...(expectationMet !== undefined ? { expectationMet } : {}),
  });
  const { before, after } = bracket;

  if (!outcome) {
    return verdict('inconclusive', bracket.notProbedBecause ?? `not probed: the valid control credential was not accepted just before this case (${before ? describeOutcome(before) : 'no control probe'})`);
  }
  if (outcome.kind === 'unreachable') {
    return verdict('inconclusive', `the probe could not get an answer, so nothing can be said: ${outcome.detail}`);
  }
  if (outcome.kind === 'shed') {
    return verdict('inconclusive', `the target turned the probe away before judging the credential, on every try (${outcome.detail}), so nothing can be said`);
  }
  if (testCase.expect === 'observed') {
    return verdict('info', `informational: the target ${outcome.kind} it`);
  }
  if (!before) {
    return verdict('inconclusive', 'no control probe was made in this run, so the answer cannot be interpreted');
  }
  if (before.kind !== 'accepted') {
    return verdict('inconclusive', `the valid control credential was not accepted on the same path (${describeOutcome(before)}); check the CA, the SPIFFE ID and the URL given to mtlspec`);
  }
  const flight = outcome.tls.client;
  if (flight?.certificate === 'not-sendable') {
    return verdict('inconclusive', `${describeNotPresented(flight)}; whatever the target did, it did not judge this certificate`);
  }
  if (outcome.kind === 'rejected' && testCase.token && outcome.stage !== 'application') {
    return verdict('inconclusive', `the target refused at the ${outcome.stage.replace('-', ' ')}, before the request and its token were read (${outcome.detail}): the refusal is not a judgement of the token`);
  }
  if (outcome.kind === 'rejected') {
    const byProtocol = refusalMayPrecedeCertificate(testCase);
    if (flight?.flightSent !== true && !byProtocol) {
      return verdict('inconclusive', `the target refused before the client had sent its certificate (${outcome.detail}), so the refusal is not a judgement of this credential`);
    }
    if (!byProtocol && flight?.certificate === 'not-requested') {
      return verdict('inconclusive', `the server never asked for a client certificate (no CertificateRequest), so its refusal (${outcome.detail}) is not a judgement of this one`);
    }
    if (!byProtocol && testCase.credential.kind !== 'none' && saysNoCertificateReceived(outcome)) {
      return verdict('inconclusive', `the server says it received no client certificate (${outcome.tls.alert ? `alert ${outcome.tls.alert.name}` : 'its "no certificate" page'}), though one was offered: it never arrived, so the refusal is not a judgement of it`);
    }
    if (!byProtocol && outcome.app?.goaway?.errorCode === 'INADEQUATE_SECURITY') {
      return verdict('inconclusive', 'GOAWAY INADEQUATE_SECURITY refuses the TLS parameters, not the certificate: no judgement of this credential');
    }
    // The target going away right after this credential is the first thing to say, whatever else the refusal was.
    if (after && after.kind !== 'accepted') {
      const lost = bracket.targetLost
        ? '; it stayed so through every retry: the target may crash or hang on this very certificate, a denial of service worth a look'
        : '';
      const inconclusive = verdict('inconclusive', `the target stopped accepting the valid credential right after this probe (crash, rate limit, connection cap?): ${describeOutcome(after)}${lost}`);
      return bracket.targetLost ? { ...inconclusive, finding: 'the target stopped accepting connections right after this credential and did not come back: it may crash on this certificate (a denial of service)' } : inconclusive;
    }
    if (refusalSignal(outcome) === 'bare') {
      const again = bracket.repeat;
      if (!again) {
        return verdict('inconclusive', `a refusal without a signal (${outcome.detail}) counts only when it repeats, and it was not probed again`);
      }
      if (again.kind !== 'rejected') {
        return verdict('inconclusive', `refused without a signal (${outcome.detail}), then on a second connection: ${describeOutcome(again)}; a flaky target, not a judgement of the credential`);
      }
    }
    if (!after) {
      return verdict('inconclusive', 'the valid control credential was not probed again after this refusal, so the refusal cannot be told from the target going away');
    }
  }
  // An identity case's acceptance is judged on the identity the answer names: the certificate's, or a forged header's.
  const identity = testCase.identity && outcome.kind === 'accepted' ? judgeEchoedIdentity(testCase.identity, testCase.credential.kind !== 'none', bracket.echo) : undefined;
  if (identity?.status === 'failed') return verdict(...weakenForLevel(testCase, 'failed', identity.why, options), false);
  if (identity) return identity.status === 'passed' ? verdict('passed', identity.why, true) : verdict('inconclusive', identity.why);
  if (outcome.kind !== testCase.expect) {
    const why =
      spreadFailure(bracket.spread, testCase.expect, outcome.detail) ??
      (testCase.expect === 'rejected'
        ? `the target accepted a connection it must refuse (${outcome.detail})`
        : `the target refused a connection it must accept, though it accepted the valid control (${observed})`);
    return verdict(...weakenForLevel(testCase, 'failed', why, options), false);
  }
  if (alert && !alert.matches) {
    const why = testCase.token
      ? `the target refused as it must, but with ${alert.observed ?? 'no status'}; RFC 6750 3.1 says it SHOULD answer ${alert.expected.join(' or ')}`
      : `the target refused as it must, but ${alert.observed ? `with the alert ${alert.observed}` : 'without an alert'}; RFC 8446 6.2 says it SHOULD send ${alert.expected.join(' or ')}`;
    return verdict(options.strict ? 'failed' : 'warning', why, true);
  }
  const weak = weakAcceptance(testCase.expect === 'rejected' ? before : outcome);
  const passed = testCase.expect === 'rejected' ? 'the target refused this connection and accepted the valid control' : 'the target accepted this connection, as it must';
  return verdict('passed', weak ? `${passed}; ${weak}` : passed, true);
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

/**
 * Alerts differ between implementations, so they are checked apart and never
 * decide a MUST verdict. Cases refused by authorization rather than by
 * verification (SPIFFE IDs) may also be refused by the application: a 403 or
 * PERMISSION_DENIED is the right signal there, and a bare close is not.
 */
function alertCheck(testCase: ClientCase, outcome: Outcome): Verdict['alert'] {
  const appRefusals = testCase.expectedAppRefusals ?? [];
  if (testCase.expect !== 'rejected' || testCase.expectedAlerts.length + appRefusals.length === 0 || outcome.kind !== 'rejected') return undefined;
  const appSignal = outcome.stage === 'application' ? applicationSignal(outcome) : undefined;
  const observed = outcome.tls.alert ? formatAlert(outcome.tls.alert) : appSignal;
  const matches =
    (outcome.tls.alert !== undefined && testCase.expectedAlerts.includes(outcome.tls.alert.name)) ||
    (appSignal !== undefined && appRefusals.includes(appSignal));
  return { expected: [...testCase.expectedAlerts, ...appRefusals], observed, matches };
}

/** "HTTP 403", "HTTP 401 invalid_token" or "gRPC PERMISSION_DENIED": the refusal as the application said it. */
function applicationSignal(outcome: Outcome): string | undefined {
  const app = outcome.kind === 'unreachable' ? undefined : outcome.app;
  if (app?.grpcStatusName !== undefined) return `gRPC ${app.grpcStatusName}`;
  if (app?.httpStatus === undefined) return undefined;
  const bearerError = bearerErrorOf(app.wwwAuthenticate);
  return bearerError ? `HTTP ${app.httpStatus} ${bearerError}` : `HTTP ${app.httpStatus}`;
}

/** The error code of a Bearer challenge (RFC 6750 3): WWW-Authenticate: Bearer error="invalid_token". */
function bearerErrorOf(challenge: string | undefined): string | undefined {
  return challenge === undefined ? undefined : /\bBearer\b[^]*?\berror="?([A-Za-z_]+)"?/i.exec(challenge)?.[1];
}
