/**
 * Where a fleet run is: targets done, scenarios done, and an ETA. A target
 * not yet started is assumed to have as many scenarios as the started ones
 * have on average, and the time per scenario so far to hold.
 */
export class FleetProgress {
  readonly #targets: number;
  readonly #started = performance.now();
  /** Per target (by inventory position): scenarios done and its run's total. */
  readonly #scenarios = new Map<number, { done: number; total: number }>();
  #targetsDone = 0;

  constructor(targets: number) {
    this.#targets = targets;
  }

  scenario(target: number, done: number, total: number): void {
    this.#scenarios.set(target, { done, total });
  }

  targetDone(target: number): void {
    this.#targetsDone += 1;
    const known = this.#scenarios.get(target);
    // A run that judged nothing (unreachable) has no scenarios left to wait for.
    this.#scenarios.set(target, { done: known?.done ?? 0, total: known?.done ?? 0 });
  }

  line(): string {
    const known = [...this.#scenarios.values()];
    const done = known.reduce((sum, s) => sum + s.done, 0);
    const knownTotal = known.reduce((sum, s) => sum + s.total, 0);
    const withTotals = known.filter((s) => s.total > 0);
    const average = withTotals.length > 0 ? withTotals.reduce((sum, s) => sum + s.total, 0) / withTotals.length : 0;
    const total = Math.round(knownTotal + (this.#targets - known.length) * average);
    const elapsedMs = performance.now() - this.#started;
    const eta = done === 0 ? '?' : formatSeconds((elapsedMs / done) * Math.max(0, total - done));
    return `[${this.#targetsDone}/${this.#targets} targets, ${done}/${total || '?'} scenarios, ETA ${eta}]`;
  }
}

function formatSeconds(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}
