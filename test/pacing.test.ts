import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Outcome } from '../src/probe/outcome.js';
import { maxAttempts, Pacer, retryDelayMs, shouldRetry } from '../src/run/pacing.js';

const tls = { timings: { totalMs: 1 } };
const shed = (retryAfterMs?: number): Outcome => ({
  kind: 'shed', reason: 'overloaded', tls, app: { protocol: 'http2', httpStatus: 503, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) }, detail: 'HTTP 503',
});
const refused: Outcome = { kind: 'rejected', stage: 'first-read', tls, detail: 'closed' };
const timedOut: Outcome = { kind: 'unreachable', reason: 'timeout', tls, detail: 'no answer' };

describe('retries of shed probes', () => {
  it('retries only what the target shed, and at most maxAttempts tries in all', () => {
    assert.equal(shouldRetry(shed(), 1), true);
    assert.equal(shouldRetry(shed(), maxAttempts - 1), true);
    assert.equal(shouldRetry(shed(), maxAttempts), false);
    // A refusal is an answer; a timeout would cost the whole timeout again.
    assert.equal(shouldRetry(refused, 1), false);
    assert.equal(shouldRetry(timedOut, 1), false);
  });

  it('backs off, honours Retry-After, and caps it so a run stays bounded', () => {
    assert.equal(retryDelayMs(shed(), 1), 250);
    assert.equal(retryDelayMs(shed(), 2), 1000);
    assert.equal(retryDelayMs(shed(2000), 1), 2000);
    assert.equal(retryDelayMs(shed(3_600_000), 1), 3000);
  });
});

describe('--rate', () => {
  it('spaces connection starts at 1/N s, and never waits without a rate', async () => {
    const paced = new Pacer(20);
    const started = performance.now();
    for (let i = 0; i < 5; i++) await paced.wait();
    const elapsed = performance.now() - started;
    // Five starts at 20/s: the first at once, four more 50 ms apart.
    assert.ok(elapsed >= 195 && elapsed < 1000, `took ${elapsed} ms`);

    const free = new Pacer(undefined);
    const freeStarted = performance.now();
    for (let i = 0; i < 100; i++) await free.wait();
    assert.ok(performance.now() - freeStarted < 50);
  });
});
