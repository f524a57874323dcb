import { setTimeout as sleep } from 'node:timers/promises';
import type { Outcome } from '../probe/outcome.js';

/**
 * How a run spaces and repeats its connections, so a target's rate limits and
 * load shedding are waited out instead of being read as verdicts.
 */

/** At most this many probes of one credential: the first and two retries. */
export const maxAttempts = 3;
/** The wait before each retry of a shed probe, unless the target's Retry-After asks for more. */
const backoffMs: readonly number[] = [250, 1000];
/** A Retry-After is honoured up to this much: a run must stay bounded in time. */
const maxRetryAfterMs = 3000;
/** When the control is refused right after a case: the waits before each look for the target coming back. */
export const recoveryWaitsMs: readonly number[] = [300, 1000, 2000];

/**
 * The most one case may take, its controls, retries and waits included: a
 * bound on the whole bracket, so a target that hangs or sheds forever costs
 * a known time, and the step never outlives the harness's own timeout.
 * `connections` is --repeat.
 */
export function caseBudgetMs(timeoutMs: number, connections = 1): number {
  // --repeat N probes the case and every control around it on N connections: N times the probes.
  return 6 * timeoutMs * Math.max(1, connections) + 15_000;
}

/** A point in time a case's probes and waits must not pass. */
export class Deadline {
  readonly #at: number;
  constructor(budgetMs: number) {
    this.#at = performance.now() + budgetMs;
  }

  remainingMs(): number {
    return Math.max(0, this.#at - performance.now());
  }

  /** Is there time left for a probe of at least `ms`? */
  allows(ms = 1): boolean {
    return this.remainingMs() >= ms;
  }
}

/** Whether to probe again: only a shed probe says nothing, and might say something on a second try. */
export function shouldRetry(outcome: Outcome, attemptsSoFar: number): boolean {
  return outcome.kind === 'shed' && attemptsSoFar < maxAttempts;
}

/** Milliseconds to wait before the next try, after `attemptsSoFar` tries ended with this outcome. */
export function retryDelayMs(outcome: Outcome, attemptsSoFar: number): number {
  const backoff = backoffMs[Math.min(attemptsSoFar - 1, backoffMs.length - 1)] ?? 0;
  const asked = outcome.kind === 'shed' ? (outcome.app?.retryAfterMs ?? 0) : 0;
  return Math.max(backoff, Math.min(asked, maxRetryAfterMs));
}

/**
 * Spaces connection attempts so that at most `perSecond` start in any
 * second (--rate). Without a rate it never waits. Connections are made one
 * at a time, so a start time is all it needs to remember.
 */
export class Pacer {
  #nextStart = 0;
  readonly #intervalMs: number;

  constructor(perSecond: number | undefined) {
    this.#intervalMs = perSecond && perSecond > 0 ? 1000 / perSecond : 0;
  }

  async wait(): Promise<void> {
    if (this.#intervalMs === 0) return;
    const now = performance.now();
    const start = Math.max(now, this.#nextStart);
    this.#nextStart = start + this.#intervalMs;
    if (start > now) await sleep(start - now);
  }
}
