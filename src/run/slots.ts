/**
 * At most `size` tasks at a time; the rest wait their turn, first come first
 * served. The session puts every connection to a target through one, so a
 * user's server never sees more of mtlspec's connections at once than it
 * did before probes ran ahead (one).
 */
export class Slots {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`a pool needs at least one slot, not ${size}`);
    this.#free = size;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next in line, or give it back.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}
