import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Slots } from '../src/run/slots.js';

describe('Slots', () => {
  it('runs at most its size at once, the rest in the order they came', async () => {
    const slots = new Slots(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const task = (n: number) => async (): Promise<number> => {
      started.push(n);
      most = Math.max(most, ++running);
      await sleep(5);
      running--;
      return n;
    };
    const results = await Promise.all([0, 1, 2, 3, 4, 5].map((n) => slots.run(task(n))));
    assert.deepEqual(results, [0, 1, 2, 3, 4, 5]);
    assert.equal(most, 2);
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
  });

  it('frees the slot when a task fails', async () => {
    const slots = new Slots(1);
    await assert.rejects(slots.run(() => Promise.reject(new Error('refused'))), /refused/);
    assert.equal(await slots.run(() => Promise.resolve('next')), 'next');
  });
});
