import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { RunArguments } from '../cli/run-command.js';
import { InputError } from '../run/inputs.js';
import { ReportDir } from '../run/report-dir.js';
import { sweepAbandonedPrivateDirs } from '../pki/private-dir.js';
import { fleetTasks, type SharedOptions } from './fleet-entries.js';
import { fleetSummaryLine, publishFleetReport } from './fleet-report.js';
import { buildFleetResults } from './fleet-results.js';
import { runFleet } from './fleet-run.js';
import { fleetWide, loadInventory } from './inventory.js';
import { setOptions } from './run-option-shapes.js';
import { entriesOf, shardFrom, shardLabel } from './shard.js';
import { maxConcurrency, type FleetArguments } from './fleet-options.js';

export async function fleetCommand(argv: RunArguments & FleetArguments): Promise<number> {
  const inventoryFile = argv.inventory;
  if (inventoryFile === undefined) throw new InputError('a fleet run needs --inventory');
  // What the fleet passes on to every target, or uses itself; any other run option set here would be ignored, so it is refused.
  if (argv['write-baseline'] !== undefined) throw new InputError("--write-baseline records one run's findings; with --inventory give each target its own baseline: in its entry");
  const stray = setOptions(argv as unknown as Record<string, unknown>).find((name) => !(name in sharedOptions(argv)) && !fleetWide.has(name));
  if (stray) throw new InputError(`--${stray} describes one target; with --inventory give it in the inventory's entries or its defaults:`);
  const concurrency = argv.concurrency ?? availableParallelism();
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > maxConcurrency) throw new InputError(`--concurrency must be a whole number from 1 to ${maxConcurrency} (got ${concurrency})`);
  const shard = shardFrom({ shard: argv.shard, shards: argv.shards, env: process.env });
  const inventory = loadInventory(inventoryFile);
  // Every entry is checked, not only this shard's: a bad entry stops every shard alike, before any probe.
  const checked = await fleetTasks(inventory, inventory.entries, sharedOptions(argv));
  const mine = new Set(entriesOf(inventory.entries, shard).map((entry) => entry.index));
  const tasks = checked.filter((task) => mine.has(task.entry.index));
  sweepAbandonedPrivateDirs();
  const reportDir = ReportDir.claim(argv['report-dir']);
  try {
    const say = (line: string): void => {
      if (!argv.quiet) process.stdout.write(`${line}\n`);
    };
    say(`mtlspec: ${tasks.length} targets${shard ? ` (shard ${shardLabel(shard)} of ${inventory.entries.length})` : ''} from ${inventoryFile}, ${Math.min(concurrency, Math.max(tasks.length, 1))} at a time`);
    const startedAt = new Date();
    const started = performance.now();
    const targets = await runFleet(tasks, { dir: reportDir.staging, concurrency, say });
    const fleet = buildFleetResults({
      startedAt: startedAt.toISOString(),
      wallMs: Math.round(performance.now() - started),
      inventory: { file: inventoryFile, digest: inventory.digest, targets: inventory.entries.length },
      ...(shard ? { shard } : {}),
    }, targets);
    const reports = publishFleetReport(reportDir, path.resolve(argv['report-dir']), fleet);
    process.stdout.write(`${fleetSummaryLine(fleet, reports.index)}\n`);
    return fleet.exitCode;
  } finally {
    reportDir.release();
  }
}

/** The fleet command line's judging options reach every target, unless its entry sets them. */
function sharedOptions(argv: RunArguments): SharedOptions {
  return {
    timeout: argv.timeout,
    rate: argv.rate,
    strict: argv.strict ? true : undefined,
    profile: argv.profile,
    case: argv.case.length > 0 ? argv.case : undefined,
    tags: argv.tags,
    baseline: argv.baseline,
    'log-level': argv['log-level'],
  };
}
