import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Envelope } from '@cucumber/messages';
import { recordFileName } from '../src/report/evidence.js';
import { ResultCollector } from '../src/report/results.js';

/** Feeds the collector the messages cucumber emits for one scenario. */
function scenario(stepStatus: string, verdictStatus: string | undefined, message?: string): ResultCollector {
  const collector = new ResultCollector();
  const t = { seconds: 1, nanos: 0 };
  const envelopes = [
    { pickle: { id: 'p1', name: 'gRPC refuses x509/validity/expired' } },
    { testCase: { id: 'tc1', pickleId: 'p1' } },
    { testCaseStarted: { id: 's1', testCaseId: 'tc1', timestamp: t } },
    ...(verdictStatus
      ? [{ attachment: { testCaseStartedId: 's1', fileName: recordFileName, body: JSON.stringify({ caseId: 'x509/validity/expired', protocol: 'grpc', verdict: { status: verdictStatus, why: 'because' } }) } }]
      : []),
    { testStepFinished: { testCaseStartedId: 's1', testStepResult: { status: stepStatus, ...(message ? { message } : {}) } } },
    { testCaseFinished: { testCaseStartedId: 's1', timestamp: { seconds: 1, nanos: 5e6 }, willBeRetried: false } },
  ];
  for (const e of envelopes) collector.accept(e as unknown as Envelope);
  return collector;
}

describe('results from cucumber messages', () => {
  it('takes the verdict when cucumber agrees', () => {
    assert.equal(scenario('PASSED', 'passed').results[0]?.status, 'passed');
    assert.equal(scenario('FAILED', 'failed').results[0]?.status, 'failed');
    assert.equal(scenario('SKIPPED', 'inconclusive').results[0]?.status, 'inconclusive');
    assert.equal(scenario('PASSED', 'passed').results[0]?.durationMs, 5);
  });

  it('a scenario without a verdict is an error, even if every step passed', () => {
    const result = scenario('PASSED', undefined).results[0];
    assert.equal(result?.status, 'error');
    assert.match(result?.why ?? '', /ended without a verdict/);
  });

  it('an exception in a step is an error carrying its first line', () => {
    const result = scenario('FAILED', undefined, 'TypeError: boom\n    at somewhere').results[0];
    assert.equal(result?.status, 'error');
    assert.match(result?.why ?? '', /TypeError: boom\)$/);
  });

  it('a verdict that disagrees with cucumber is an error, not a pass', () => {
    assert.equal(scenario('FAILED', 'passed').results[0]?.status, 'error');
  });
});
