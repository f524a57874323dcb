import { cpSync, existsSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../run/inputs.js';
import type { MergeArguments } from './merge-options.js';
import { ReportDir } from '../run/report-dir.js';
import { fleetSummaryLine, publishFleetReport } from './fleet-report.js';
import { buildFleetResults, readJsonFile, type FleetResults, type FleetTargetResult } from './fleet-results.js';

interface ShardReport {
  readonly dir: string;
  readonly results: FleetResults;
}

/**
 * `mtlspec merge DIR...`: the fleet report and exit code from the shards'
 * reports. Every shard of one inventory must be there exactly once; a
 * missing, repeated or foreign shard is an error naming it, never a report
 * that quietly covers less of the fleet than it seems to.
 */
export async function mergeCommand(argv: MergeArguments): Promise<number> {
  const dirs = argv.dirs ?? [];
  if (dirs.length === 0) throw new InputError('merge needs the report folders of the shards: mtlspec merge DIR...');
  const out = path.resolve(argv['report-dir']);
  const clash = dirs.find((dir) => path.resolve(dir) === out);
  if (clash) throw new InputError(`--report-dir ${argv['report-dir']} is also a shard folder (${clash}); merge into another folder`);
  const shards = dirs.map(readShard);
  const targets = checkedTargets(shards);
  const [first] = shards;
  if (!first) throw new InputError('merge needs at least one shard folder');
  const reportDir = ReportDir.claim(argv['report-dir']);
  try {
    for (const shard of shards) {
      for (const target of shard.results.targets) {
        const from = path.join(shard.dir, target.dir);
        // A target's own reports travel with it; one that wrote none (unreachable) has a folder with nothing to copy.
        if (existsSync(from)) cpSync(from, path.join(reportDir.staging, target.dir), { recursive: true });
      }
    }
    const fleet = buildFleetResults({
      startedAt: shards.map((s) => s.results.startedAt).sort()[0] ?? first.results.startedAt,
      // The shards ran side by side: the fleet took as long as its slowest shard.
      wallMs: Math.max(...shards.map((s) => s.results.wallMs)),
      inventory: first.results.inventory,
      mergedFrom: dirs,
    }, targets);
    const reports = publishFleetReport(reportDir, out, fleet);
    process.stdout.write(`${fleetSummaryLine(fleet, reports.index)}\n`);
    return fleet.exitCode;
  } finally {
    reportDir.release();
  }
}

function readShard(dir: string): ShardReport {
  const file = path.join(dir, 'results.json');
  let parsed: unknown;
  try {
    parsed = readJsonFile(file);
  } catch (error) {
    throw new InputError(`${file} cannot be read: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  if (parsed === undefined) throw new InputError(`${dir} holds no results.json: did that shard run, and was its report folder kept?`);
  const results = parsed as Partial<FleetResults>;
  if (results.kind !== 'mtlspec-fleet' || !Array.isArray(results.targets) || !results.inventory) {
    throw new InputError(`${file} is not a fleet's results (mtlspec run --inventory writes those); a single run's report cannot be merged`);
  }
  return { dir, results: results as FleetResults };
}

/** Every shard of one inventory, each once, and every target once. */
function checkedTargets(shards: readonly ShardReport[]): FleetTargetResult[] {
  const [first, ...others] = shards;
  if (!first) return [];
  const foreign = others.find((s) => s.results.inventory.digest !== first.results.inventory.digest);
  if (foreign) throw new InputError(`${foreign.dir} is from another inventory (or another version of it) than ${first.dir}; merge the shards of one run`);
  const count = first.results.shard?.count ?? 1;
  const other = others.find((s) => (s.results.shard?.count ?? 1) !== count);
  if (other) throw new InputError(`${other.dir} is shard ${label(other)} but ${first.dir} is shard ${label(first)}: the shards must come from one split`);
  const byIndex = new Map<number, string>();
  for (const shard of shards) {
    const index = shard.results.shard?.index ?? 1;
    const seen = byIndex.get(index);
    if (seen !== undefined) throw new InputError(`shard ${index}/${count} is given twice: ${seen} and ${shard.dir}`);
    byIndex.set(index, shard.dir);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((index) => !byIndex.has(index));
  if (missing.length > 0) throw new InputError(`missing ${missing.length === 1 ? 'shard' : 'shards'} ${missing.map((i) => `${i}/${count}`).join(', ')}: merge needs every shard's report folder`);
  const targets = shards.flatMap((s) => s.results.targets);
  const names = new Map<string, string>();
  for (const shard of shards) {
    for (const target of shard.results.targets) {
      const seen = names.get(target.name);
      if (seen !== undefined) throw new InputError(`target "${target.name}" is in two shards: ${seen} and ${shard.dir}`);
      names.set(target.name, shard.dir);
    }
  }
  const expected = first.results.inventory.targets;
  if (targets.length !== expected) throw new InputError(`the shards hold ${targets.length} of the inventory's ${expected} targets`);
  return targets;
}

function label(shard: ShardReport): string {
  return shard.results.shard ? `${shard.results.shard.index}/${shard.results.shard.count}` : '1/1 (the whole fleet)';
}
