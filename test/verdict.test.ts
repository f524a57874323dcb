import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientCase, ServerCase } from '../src/catalogue/case.js';
import type { Outcome, ServerFacts } from '../src/probe/outcome.js';
import { judge, judgeServer } from '../src/verdict/judge.js';

const tls = { version: 'TLSv1.3', timings: { totalMs: 3 } };
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
    const v = judge(mustRefuse, refusedWithAlert, accepted, lenient);
    assert.equal(v.status, 'passed');
    assert.equal(v.expected, 'rejected (unknown_ca or bad_certificate)');
    assert.equal(v.observed, 'rejected at first read, alert unknown_ca (48): the server sent the TLS alert unknown_ca');
  });

  it('fails an acceptance of a credential that must be refused', () => {
    const v = judge(mustRefuse, accepted, accepted, lenient);
    assert.equal(v.status, 'failed');
    assert.match(v.why, /accepted a connection it must refuse/);
  });

  it('is inconclusive, never passed, when the control was refused too', () => {
    const v = judge(mustRefuse, refusedWithAlert, refusedSilently, lenient);
    assert.equal(v.status, 'inconclusive');
    assert.match(v.why, /valid control credential was not accepted/);
  });

  it('is inconclusive when no control was probed', () => {
    assert.equal(judge(mustRefuse, refusedWithAlert, undefined, lenient).status, 'inconclusive');
  });

  it('is inconclusive when the probe got no answer, whatever the control did', () => {
    assert.equal(judge(mustRefuse, timedOut, accepted, lenient).status, 'inconclusive');
    assert.equal(judge(mustAccept, timedOut, accepted, lenient).status, 'inconclusive');
  });

  it('passes and fails positive cases against an accepted control', () => {
    assert.equal(judge(mustAccept, accepted, accepted, lenient).status, 'passed');
    assert.equal(judge(mustAccept, refusedSilently, accepted, lenient).status, 'failed');
  });

  it('calls a refused valid control inconclusive (wrong CA or identity given), not failed', () => {
    assert.equal(judge(mustAccept, refusedSilently, refusedSilently, lenient).status, 'inconclusive');
  });

  it('a refusal without the expected alert is a SHOULD warning, a failure under --strict', () => {
    const silent = judge(mustRefuse, refusedSilently, accepted, lenient);
    assert.equal(silent.status, 'warning');
    assert.match(silent.why, /without an alert; RFC 8446 6.2 says it SHOULD send unknown_ca or bad_certificate/);
    assert.deepEqual(silent.alert, { expected: ['unknown_ca', 'bad_certificate'], observed: undefined, matches: false });
    assert.equal(judge(mustRefuse, refusedSilently, accepted, strict).status, 'failed');
  });

  it('a failed SHOULD-level case warns, and fails only under --strict', () => {
    assert.equal(judge(shouldRefuse, accepted, accepted, lenient).status, 'warning');
    assert.equal(judge(shouldRefuse, accepted, accepted, strict).status, 'failed');
    assert.equal(judge(shouldRefuse, refusedSilently, accepted, strict).status, 'passed');
  });

  it('an INFO case records what happened and is never judged', () => {
    const v = judge(observe, refusedSilently, accepted, strict);
    assert.equal(v.status, 'info');
    assert.match(v.why, /the target rejected it/);
    assert.equal(judge(observe, accepted, undefined, strict).status, 'info');
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
