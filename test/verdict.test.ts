import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Outcome } from '../src/probe/outcome.js';
import { judge, type Expectation } from '../src/verdict/judge.js';

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

const mustRefuse: Expectation = { expect: 'rejected', expectedAlerts: ['unknown_ca', 'bad_certificate'] };
const mustAccept: Expectation = { expect: 'accepted', expectedAlerts: [] };

describe('judge', () => {
  it('passes a refusal when the control was accepted', () => {
    const v = judge(mustRefuse, refusedWithAlert, accepted);
    assert.equal(v.status, 'passed');
    assert.equal(v.expected, 'rejected (unknown_ca or bad_certificate)');
    assert.equal(v.observed, 'rejected at first read, alert unknown_ca (48): the server sent the TLS alert unknown_ca');
  });

  it('fails an acceptance of a credential that must be refused', () => {
    const v = judge(mustRefuse, accepted, accepted);
    assert.equal(v.status, 'failed');
    assert.match(v.why, /accepted a connection it must refuse/);
  });

  it('is inconclusive, never passed, when the control was refused too', () => {
    const v = judge(mustRefuse, refusedWithAlert, refusedSilently);
    assert.equal(v.status, 'inconclusive');
    assert.match(v.why, /valid control credential was not accepted/);
  });

  it('is inconclusive when no control was probed', () => {
    assert.equal(judge(mustRefuse, refusedWithAlert, undefined).status, 'inconclusive');
  });

  it('is inconclusive when the probe got no answer, whatever the control did', () => {
    assert.equal(judge(mustRefuse, timedOut, accepted).status, 'inconclusive');
    assert.equal(judge(mustAccept, timedOut, accepted).status, 'inconclusive');
  });

  it('passes and fails positive cases against an accepted control', () => {
    assert.equal(judge(mustAccept, accepted, accepted).status, 'passed');
    assert.equal(judge(mustAccept, refusedSilently, accepted).status, 'failed');
  });

  it('calls a refused valid control inconclusive (wrong CA or identity given), not failed', () => {
    assert.equal(judge(mustAccept, refusedSilently, refusedSilently).status, 'inconclusive');
  });

  it('checks the alert apart from the verdict (the SHOULD tier)', () => {
    assert.deepEqual(judge(mustRefuse, refusedWithAlert, accepted).alert, {
      expected: ['unknown_ca', 'bad_certificate'],
      observed: 'unknown_ca (48)',
      matches: true,
    });
    const silent = judge(mustRefuse, refusedSilently, accepted);
    assert.equal(silent.status, 'passed');
    assert.deepEqual(silent.alert, { expected: ['unknown_ca', 'bad_certificate'], observed: undefined, matches: false });
  });
});
