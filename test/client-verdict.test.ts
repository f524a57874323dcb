import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clientCases } from '../fixtures/client-cases.js';
import { underClientProfile, type ServerCredentialCase } from '../src/client/case.js';
import { judgeClient } from '../src/client/judge.js';
import type { Outcome } from '../src/probe/outcome.js';

/** The verdict on a client case, layer by layer: control first, then what the client did, then its alert. */
const byId = (id: string): ServerCredentialCase => {
  const found = clientCases.find((c) => c.id === id);
  assert.ok(found, id);
  return found;
};
const tls = { timings: { totalMs: 5 } };
const accepted: Outcome = { kind: 'accepted', tls, app: { protocol: 'http1', bodyExcerpt: 'GET / HTTP/1.1' }, detail: 'the client sent 79 bytes of application data' };
const refusedWith = (alert?: string): Outcome => ({ kind: 'rejected', stage: 'handshake', tls: { ...tls, ...(alert ? { alert: { name: alert, code: undefined } } : {}) }, detail: 'refused' });
const neverConnected: Outcome = { kind: 'unreachable', reason: 'timeout', tls, detail: 'the client did not connect within 5000 ms, and was killed' };
const controlled = { before: accepted, after: accepted };
const lenient = { strict: false };

describe('client verdicts', () => {
  const expired = byId('client/validity/expired');

  it('a refusal with an alert the rules name passes; without one it is a SHOULD warning (a failure under --strict)', () => {
    assert.equal(judgeClient(expired, refusedWith('certificate_expired'), controlled, lenient).status, 'passed');
    const silent = judgeClient(expired, refusedWith(), controlled, lenient);
    assert.deepEqual([silent.status, silent.expectationMet, silent.alert?.matches], ['warning', true, false]);
    assert.equal(judgeClient(expired, refusedWith('internal_error'), controlled, { strict: true }).status, 'failed');
  });

  it('accepting a MUST case fails; a SHOULD case warns; both are detections', () => {
    const must = judgeClient(expired, accepted, controlled, lenient);
    assert.deepEqual([must.status, must.expectationMet], ['failed', false]);
    const should = judgeClient(byId('client/name/cn-only'), accepted, controlled, lenient);
    assert.deepEqual([should.status, should.expectationMet], ['warning', false]);
  });

  it('never passed without the control: not accepted first, or not after a refusal, is inconclusive', () => {
    assert.equal(judgeClient(expired, refusedWith('certificate_expired'), { before: refusedWith(), after: accepted }, lenient).status, 'inconclusive');
    assert.equal(judgeClient(expired, refusedWith('certificate_expired'), { before: undefined, after: undefined }, lenient).status, 'inconclusive');
    assert.equal(judgeClient(expired, refusedWith('certificate_expired'), { before: accepted, after: neverConnected }, lenient).status, 'inconclusive');
  });

  it('a client that never connected is inconclusive, whatever the case expects', () => {
    for (const id of ['client/valid', 'client/validity/expired', 'client/chain/intermediate-missing']) {
      assert.equal(judgeClient(byId(id), neverConnected, controlled, lenient).status, 'inconclusive', id);
    }
  });

  it('the control passes when accepted and fails when refused; an INFO case is recorded only', () => {
    assert.equal(judgeClient(byId('client/valid'), accepted, { before: undefined, after: undefined }, lenient).status, 'passed');
    assert.equal(judgeClient(byId('client/valid'), refusedWith('unknown_ca'), { before: undefined, after: undefined }, lenient).status, 'failed');
    assert.equal(judgeClient(byId('client/chain/intermediate-missing'), accepted, controlled, lenient).status, 'info');
  });

  it('tls12-modern records the TLS 1.2 case instead of judging it', () => {
    const tls12 = byId('client/version/tls12-only');
    assert.equal(judgeClient(underClientProfile(tls12, 'strict-tls13'), accepted, controlled, lenient).status, 'failed');
    assert.equal(judgeClient(underClientProfile(tls12, 'tls12-modern'), accepted, controlled, lenient).status, 'info');
  });
});
