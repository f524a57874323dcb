import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientCase, ServerCase } from '../src/catalogue/case.js';
import type { Outcome, ServerFacts, TlsFacts } from '../src/probe/outcome.js';
import { judge, judgeServer, type Bracket } from '../src/verdict/judge.js';

/** The control accepted before the case and again after it (and a refusal without a signal repeated, as the session does). */
const around = (control: Outcome | undefined): Bracket => ({ before: control, after: control, repeat: refusedSilently });

const tls: TlsFacts = { version: 'TLSv1.3', timings: { totalMs: 3 }, client: { flightSent: true, certificate: 'sent' } };
const accepted: Outcome = { kind: 'accepted', tls, app: { protocol: 'http2', httpStatus: 200 }, detail: 'HTTP 200' };
const refusedWithAlert: Outcome = {
  kind: 'rejected',
  stage: 'first-read',
  tls: { ...tls, alert: { name: 'unknown_ca', code: 48 } },
  detail: 'the server sent the TLS alert unknown_ca',
};
const refusedSilently: Outcome = { kind: 'rejected', stage: 'first-read', tls, detail: 'closed without an alert' };
const timedOut: Outcome = { kind: 'unreachable', reason: 'timeout', tls, detail: 'no TLS handshake within 50 ms' };

const clientCase = (overrides: Partial<ClientCase>): ClientCase => ({
  kind: 'client', id: 'x/y', title: 't', rule: 'RFC 5280 6.1', level: 'MUST', expect: 'rejected', expectedAlerts: [], credential: { kind: 'valid' }, ...overrides,
});
const mustRefuse = clientCase({ expectedAlerts: ['unknown_ca', 'bad_certificate'] });
const mustAccept = clientCase({ expect: 'accepted' });
const shouldRefuse = clientCase({ level: 'SHOULD' });
const observe = clientCase({ level: 'INFO', expect: 'observed' });
const lenient = { strict: false };
const strict = { strict: true };

describe('judge', () => {
  it('passes a refusal with an expected alert when the control was accepted', () => {
    const v = judge(mustRefuse, refusedWithAlert, around(accepted), lenient);
    assert.equal(v.status, 'passed');
    assert.equal(v.expected, 'rejected (unknown_ca or bad_certificate)');
    assert.equal(v.observed, 'rejected at first read, alert unknown_ca (48): the server sent the TLS alert unknown_ca');
  });

  it('fails an acceptance of a credential that must be refused', () => {
    const v = judge(mustRefuse, accepted, around(accepted), lenient);
    assert.equal(v.status, 'failed');
    assert.match(v.why, /accepted a connection it must refuse/);
  });

  it('is inconclusive, never passed, when the control was refused too', () => {
    const v = judge(mustRefuse, refusedWithAlert, around(refusedSilently), lenient);
    assert.equal(v.status, 'inconclusive');
    assert.match(v.why, /valid control credential was not accepted/);
  });

  it('is inconclusive when no control was probed', () => {
    assert.equal(judge(mustRefuse, refusedWithAlert, around(undefined), lenient).status, 'inconclusive');
  });

  it('is inconclusive when the probe got no answer, whatever the control did', () => {
    assert.equal(judge(mustRefuse, timedOut, around(accepted), lenient).status, 'inconclusive');
    assert.equal(judge(mustAccept, timedOut, around(accepted), lenient).status, 'inconclusive');
  });

  it('passes and fails positive cases against an accepted control', () => {
    assert.equal(judge(mustAccept, accepted, around(accepted), lenient).status, 'passed');
    assert.equal(judge(mustAccept, refusedSilently, around(accepted), lenient).status, 'failed');
  });

  it('calls a refused valid control inconclusive (wrong CA or identity given), not failed', () => {
    assert.equal(judge(mustAccept, refusedSilently, around(refusedSilently), lenient).status, 'inconclusive');
  });

  it('a refusal without the expected alert is a SHOULD warning, a failure under --strict', () => {
    const silent = judge(mustRefuse, refusedSilently, around(accepted), lenient);
    assert.equal(silent.status, 'warning');
    assert.match(silent.why, /without an alert; RFC 8446 6.2 says it SHOULD send unknown_ca or bad_certificate/);
    assert.deepEqual(silent.alert, { expected: ['unknown_ca', 'bad_certificate'], observed: undefined, matches: false });
    assert.equal(judge(mustRefuse, refusedSilently, around(accepted), strict).status, 'failed');
  });

  it('a failed SHOULD-level case warns, and fails only under --strict', () => {
    assert.equal(judge(shouldRefuse, accepted, around(accepted), lenient).status, 'warning');
    assert.equal(judge(shouldRefuse, accepted, around(accepted), strict).status, 'failed');
    assert.equal(judge(shouldRefuse, refusedSilently, around(accepted), strict).status, 'passed');
  });

  it('an INFO case records what happened and is never judged', () => {
    const v = judge(observe, refusedSilently, around(accepted), strict);
    assert.equal(v.status, 'info');
    assert.match(v.why, /the target rejected it/);
    assert.equal(judge(observe, accepted, around(undefined), strict).status, 'info');
  });
});

describe('judge: a refusal counts only when the target saw the credential and still accepts the control', () => {
  const stoppedAccepting: Outcome = { kind: 'unreachable', reason: 'refused', tls, detail: 'connection refused: nothing listens on that port' };

  it('is inconclusive when the control after the refusal was not accepted, and says the target stopped accepting', () => {
    const v = judge(mustRefuse, refusedWithAlert, { before: accepted, after: stoppedAccepting }, lenient);
    assert.equal(v.status, 'inconclusive');
    assert.match(v.why, /stopped accepting the valid credential right after this probe/);
  });

  it('names a possible crash on this very certificate when the target never came back', () => {
    const v = judge(mustRefuse, refusedSilently, { before: accepted, after: stoppedAccepting, targetLost: true, repeat: refusedSilently }, lenient);
    assert.match(v.finding ?? '', /may crash on this certificate/);
    assert.equal(v.status, 'inconclusive');
    assert.match(v.why, /denial of service/);
  });

  it('is inconclusive for a refusal with no control after it', () => {
    assert.equal(judge(mustRefuse, refusedWithAlert, { before: accepted }, lenient).status, 'inconclusive');
  });

  it('needs no control after an acceptance: accepting a bad credential fails, whatever comes next', () => {
    assert.equal(judge(mustRefuse, accepted, { before: accepted }, lenient).status, 'failed');
  });

  it('a refusal of a positive case is a failure only when bracketed too', () => {
    assert.equal(judge(mustAccept, refusedSilently, { before: accepted, after: stoppedAccepting, repeat: refusedSilently }, lenient).status, 'inconclusive');
  });

  it('a refusal before the client sent its certificate is not a judgement of a certificate', () => {
    const early: Outcome = { ...refusedWithAlert, stage: 'handshake', tls: { ...refusedWithAlert.tls, client: { flightSent: false, certificate: 'not-reached' } } };
    const v = judge(mustRefuse, early, around(accepted), lenient);
    assert.equal(v.status, 'inconclusive');
    assert.match(v.why, /before the client had sent its certificate/);
  });

  it('but a protocol case is judged at the ClientHello: a version alert counts there', () => {
    const versionCase = clientCase({ tlsVersions: { max: 'TLSv1.2' }, expectedAlerts: ['protocol_version'] });
    const early: Outcome = { kind: 'rejected', stage: 'handshake', tls: { ...tls, alert: { name: 'protocol_version', code: 70 }, client: { flightSent: false, certificate: 'not-reached' } }, detail: 'alert' };
    assert.equal(judge(versionCase, early, around(accepted), lenient).status, 'passed');
  });

  it('a refusal without a signal counts only when it repeats: accepted on the second connection is a failure, anything else inconclusive', () => {
    const once: Bracket = { before: accepted, after: accepted };
    assert.match(judge(mustRefuse, refusedSilently, once, lenient).why, /counts only when it repeats, and it was not probed again/);
    const flaky = judge(mustRefuse, refusedSilently, { ...once, repeat: accepted }, lenient);
    assert.equal(flaky.status, 'failed');
    assert.match(flaky.observed, /accepted: HTTP 200, on a second connection right after rejected at first read/);
    const shedNext: Outcome = { kind: 'shed', reason: 'overloaded', tls, detail: 'HTTP 503' };
    assert.equal(judge(mustRefuse, refusedSilently, { ...once, repeat: shedNext }, lenient).status, 'inconclusive');
    // An HTTP 400 is every kind of bad request: bare too. A 403 or a certificate alert is a signal, judged at once.
    const badRequest: Outcome = { kind: 'rejected', stage: 'application', tls, app: { protocol: 'http2', httpStatus: 400 }, detail: 'HTTP 400' };
    assert.equal(judge(mustRefuse, badRequest, once, lenient).status, 'inconclusive');
    assert.equal(judge(mustRefuse, refusedWithAlert, once, lenient).status, 'passed');
  });

  it('a refusal from a server that never asked for a certificate, or says it got none, is no judgement of it', () => {
    const notAsked: Outcome = { ...refusedWithAlert, tls: { ...refusedWithAlert.tls, client: { flightSent: true, certificate: 'not-requested' } } };
    assert.match(judge(mustRefuse, notAsked, around(accepted), lenient).why, /never asked for a client certificate/);
    const required: Outcome = { ...refusedWithAlert, tls: { ...tls, alert: { name: 'certificate_required', code: 116 } } };
    assert.match(judge(mustRefuse, required, around(accepted), lenient).why, /says it received no client certificate \(alert certificate_required\)/);
    const nginxPage: Outcome = { kind: 'rejected', stage: 'application', tls, app: { protocol: 'http2', httpStatus: 400, bodyExcerpt: '<h1>400 Bad Request</h1><center>No required SSL certificate was sent</center>' }, detail: 'HTTP 400' };
    assert.equal(judge(mustRefuse, nginxPage, { ...around(accepted), repeat: nginxPage }, lenient).status, 'inconclusive');
    // The case that presents no certificate is refused exactly so.
    assert.equal(judge(clientCase({ credential: { kind: 'none' }, expectedAlerts: ['certificate_required'] }), required, around(accepted), lenient).status, 'passed');
  });

  it('a certificate that could not be sent (no shared signature algorithm) is inconclusive, refused or accepted', () => {
    const client = { flightSent: true, certificate: 'not-sendable', sharedSigalgs: ['ECDSA+SHA256'], keyNeeds: 'RSA-PSS' } as const;
    const refused: Outcome = { ...refusedWithAlert, tls: { ...refusedWithAlert.tls, client } };
    const v = judge(mustRefuse, refused, around(accepted), lenient);
    assert.equal(v.status, 'inconclusive');
    assert.match(v.why, /never presented: the server's CertificateRequest allows only ECDSA\+SHA256, and this key needs RSA-PSS/);
    assert.equal(judge(mustRefuse, { ...accepted, tls: { ...tls, client } }, around(accepted), lenient).status, 'inconclusive');
  });

  it('a shed probe (load, rate, draining) is inconclusive, never a refusal', () => {
    const shed: Outcome = { kind: 'shed', reason: 'overloaded', tls, app: { protocol: 'http2', httpStatus: 503 }, detail: 'HTTP 503' };
    const v = judge(mustRefuse, shed, around(accepted), lenient);
    assert.equal(v.status, 'inconclusive');
    assert.match(v.why, /turned the probe away before judging the credential.*HTTP 503/);
  });

  it('a case not probed, because the target was lost, is inconclusive with the reason', () => {
    const v = judge(mustRefuse, undefined, { before: stoppedAccepting, notProbedBecause: 'not probed: the target stopped accepting the valid credential after x/y' }, lenient);
    assert.equal(v.status, 'inconclusive');
    assert.match(v.why, /after x\/y/);
  });

  it('an authorization case expects an authorization signal: a 403 matches, a bare close warns, --strict fails it', () => {
    const spiffeCase = clientCase({ expectedAlerts: ['access_denied'], expectedAppRefusals: ['HTTP 403', 'gRPC PERMISSION_DENIED'] });
    const forbidden: Outcome = { kind: 'rejected', stage: 'application', tls, app: { protocol: 'http2', httpStatus: 403 }, detail: 'HTTP 403' };
    assert.equal(judge(spiffeCase, forbidden, around(accepted), strict).status, 'passed');
    const denied: Outcome = { kind: 'rejected', stage: 'application', tls, app: { protocol: 'grpc', httpStatus: 200, grpcStatus: 7, grpcStatusName: 'PERMISSION_DENIED' }, detail: 'gRPC' };
    assert.equal(judge(spiffeCase, denied, around(accepted), strict).status, 'passed');
    assert.equal(judge(spiffeCase, refusedSilently, around(accepted), lenient).status, 'warning');
    assert.equal(judge(spiffeCase, refusedSilently, around(accepted), strict).status, 'failed');
  });
});

describe('judgeServer', () => {
  const server: ServerFacts = { certificatePem: '', chainPems: [], chainVerified: false, chainError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', nameMatches: true };
  const chainCase: ServerCase = { kind: 'server', id: 'server/chain/trusted', title: 't', rule: 'RFC 5280 6.1', level: 'MUST', check: (s) => (s.chainVerified ? undefined : `no: ${s.chainError}`) };
  const context = { now: new Date(), protocol: 'http2' as const, serverSpiffeId: undefined, alpn: 'h2' };

  it('fails with the problem the check names, even when the control was refused', () => {
    const refused: Outcome = { ...refusedSilently, tls: { ...tls, server } };
    const v = judgeServer(chainCase, refused, context, lenient);
    assert.equal(v.status, 'failed');
    assert.equal(v.why, 'no: UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('passes when the check finds nothing, and is inconclusive without a handshake', () => {
    const good: Outcome = { ...accepted, tls: { ...tls, server: { ...server, chainVerified: true } } };
    assert.equal(judgeServer(chainCase, good, context, lenient).status, 'passed');
    assert.equal(judgeServer(chainCase, timedOut, context, lenient).status, 'inconclusive');
  });
});

describe('judge, token cases (RFC 6750 grading)', () => {
  const tokenCase = clientCase({ id: 'jwt/claims/expired', expectedAppRefusals: ['HTTP 401 invalid_token', 'gRPC UNAUTHENTICATED'], token: { kind: 'none' } });
  const answered = (httpStatus: number, wwwAuthenticate?: string): Outcome => ({
    kind: 'rejected', stage: 'application', tls, app: { protocol: 'http2', httpStatus, ...(wwwAuthenticate ? { wwwAuthenticate } : {}) }, detail: `HTTP ${httpStatus}`,
  });

  it('passes 401 with WWW-Authenticate error="invalid_token", and gRPC UNAUTHENTICATED', () => {
    assert.equal(judge(tokenCase, answered(401, 'Bearer realm="api", error="invalid_token"'), around(accepted), lenient).status, 'passed');
    const grpc: Outcome = { kind: 'rejected', stage: 'application', tls, app: { protocol: 'grpc', httpStatus: 200, grpcStatus: 16, grpcStatusName: 'UNAUTHENTICATED' }, detail: 'gRPC UNAUTHENTICATED' };
    assert.equal(judge(tokenCase, grpc, around(accepted), lenient).status, 'passed');
  });

  it('another 4xx is a SHOULD warning citing RFC 6750, a failure under --strict', () => {
    const v = judge(tokenCase, answered(403), around(accepted), lenient);
    assert.equal(v.status, 'warning');
    assert.match(v.why, /with HTTP 403; RFC 6750 3\.1 says it SHOULD answer HTTP 401 invalid_token or gRPC UNAUTHENTICATED/);
    assert.equal(judge(tokenCase, answered(401), around(accepted), strict).status, 'failed');
  });

  it('fails an accepted token case', () => {
    assert.equal(judge(tokenCase, accepted, around(accepted), lenient).status, 'failed');
  });

  it('a refusal in the TLS handshake never judged the token: inconclusive, not passed', () => {
    const v = judge(tokenCase, refusedWithAlert, around(accepted), lenient);
    assert.equal(v.status, 'inconclusive');
    assert.match(v.why, /before the request and its token were read/);
  });
});
