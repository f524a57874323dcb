import { InputError } from '../run/inputs.js';
import type { InventoryEntry } from './inventory.js';

/** One slice of a fleet: shard `index` (1..count) of `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

export interface ShardInputs {
  /** --shard I/N (also MTLSPEC_SHARD, the CI matrix variable). */
  readonly shard?: string | undefined;
  /** --shards N, with the index from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job, which counts from 0). */
  readonly shards?: number | undefined;
  readonly env: NodeJS.ProcessEnv;
}

/** Undefined: the whole fleet. Every way of naming a shard, and every mistake, in one place. */
export function shardFrom({ shard, shards, env }: ShardInputs): Shard | undefined {
  if (shard !== undefined && shards !== undefined) throw new InputError('give --shard I/N, or --shards N with JOB_COMPLETION_INDEX, not both');
  if (shard !== undefined) {
    const match = /^(\d+)\/(\d+)$/.exec(shard.trim());
    if (!match) throw new InputError(`--shard "${shard}" is not I/N (e.g. 1/4: the first of four shards)`);
    return checked(Number(match[1]), Number(match[2]), `--shard ${shard}`);
  }
  if (shards === undefined) return undefined;
  if (!Number.isInteger(shards) || shards < 1) throw new InputError(`--shards must be a whole number of shards, 1 or more (got ${shards})`);
  const raw = env['JOB_COMPLETION_INDEX'];
  if (raw === undefined || !/^\d+$/.test(raw)) {
    throw new InputError(`--shards ${shards} takes the shard from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job), which is ${raw === undefined ? 'not set' : `"${raw}"`}; outside one, give --shard I/N`);
  }
  return checked(Number(raw) + 1, shards, `JOB_COMPLETION_INDEX=${raw} with --shards ${shards}`);
}

function checked(index: number, count: number, given: string): Shard {
  if (count < 1 || index < 1 || index > count) throw new InputError(`${given}: the shard must be 1 to ${Math.max(count, 1)} of ${count} (JOB_COMPLETION_INDEX counts from 0)`);
  return { index, count };
}

/**
 * The entries of one shard: every count-th entry, starting at the shard's
 * own, by inventory position. Deterministic for a given inventory, and
 * round-robin rather than in blocks, so that a run of similar targets
 * (one team's, one region's) spreads over the shards.
 */
export function entriesOf<T extends Pick<InventoryEntry, 'index'>>(entries: readonly T[], shard: Shard | undefined): T[] {
  if (!shard) return [...entries];
  return entries.filter((entry) => entry.index % shard.count === shard.index - 1);
}

export function shardLabel(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}
