import { availableParallelism } from 'node:os';
import type { Argv } from 'yargs';
import { InputError } from '../run/inputs.js';

/** run's fleet flags. Apart from fleet-command.ts so that a single run's parse loads none of the fleet's code. */
export interface FleetArguments {
  inventory: string | undefined;
  concurrency: number | undefined;
  shard: string | undefined;
  shards: number | undefined;
}

/** The most targets one machine runs side by side: each is a process of its own. */
export const maxConcurrency = 64;

export function fleetOptions<T>(yargs: Argv<T>): Argv<T & FleetArguments> {
  return yargs
    .option('inventory', { type: 'string', describe: "A fleet: a YAML or JSON file whose targets: list gives each target by run's option names (plus name, owner, tags), with optional defaults:" })
    .option('concurrency', { type: 'number', describe: `With --inventory: targets run side by side (default: the number of cores, ${availableParallelism()} here); each still gets one connection at a time` })
    .option('shard', { type: 'string', describe: 'With --inventory: run only slice I of N (e.g. 2/4); also MTLSPEC_SHARD, for a CI matrix' })
    .option('shards', { type: 'number', describe: 'With --inventory: N shards, this one from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job)' }) as unknown as Argv<T & FleetArguments>;
}

/** Whether this run is a fleet's; the fleet flags without --inventory are a usage error. */
export function isFleetRun(argv: FleetArguments): boolean {
  if (argv.inventory !== undefined) return true;
  const stray = (['concurrency', 'shard', 'shards'] as const).find((flag) => argv[flag] !== undefined);
  if (stray) throw new InputError(`--${stray} needs --inventory`);
  return false;
}

