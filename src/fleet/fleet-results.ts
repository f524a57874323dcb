import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ExitCode } from '../cli/exit-codes.js';
import type { ResultStatus } from '../report/results.js';
import { toolVersion, type RunResults } from '../report/run-results.js';
import { countByStatus } from '../report/terminal.js';
import type { Shard } from './shard.js';

/**
 * results.json of a fleet run: one entry per target, with the verdict of
 * each of its scenarios, and where its own report is. Each target's full
 * results (every verdict's evidence) stay in its folder, targets/<name>/;
 * this file is what scripts, the fleet page and `mtlspec merge` read.
 */
export interface FleetResults {
  readonly tool: { readonly name: 'mtlspec'; readonly version: string };
  readonly kind: 'mtlspec-fleet';
  readonly startedAt: string;
  readonly wallMs: number;
  readonly inventory: { readonly file: string; readonly digest: string; readonly targets: number };
  /** The slice this run covered; absent for the whole inventory (a run without shards, or a merge). */
  readonly shard?: Shard;
  /** A merge: the shards' folders it joined. */
  readonly mergedFrom?: readonly string[];
  readonly verdicts: Readonly<Record<TargetVerdict, number>>;
  readonly scenarioTotals: Readonly<Record<ResultStatus, number>>;
  readonly exitCode: number;
  readonly targets: readonly FleetTargetResult[];
}

/** A target's verdict is its run's exit code, read as exit-codes.ts defines it. */
export type TargetVerdict = 'passed' | 'failed' | 'inconclusive' | 'error';

export interface FleetTargetResult {
  readonly name: string;
  readonly owner?: string;
  readonly tags: readonly string[];
  /** Position in the inventory. */
  readonly index: number;
  readonly url: string;
  readonly verdict: TargetVerdict;
  /** The target run's exit code (null: ended by a signal). */
  readonly exitCode: number | null;
  /** One line: why the verdict is what it is. */
  readonly reason: string;
  readonly wallMs: number;
  /** The target's folder, relative to the fleet report: its index.html, conformance.html, junit.xml, results.json. */
  readonly dir: string;
  /** Absent when the run judged nothing (unreachable, control refused). */
  readonly totals?: Readonly<Record<ResultStatus, number>>;
  readonly scenarios: readonly FleetScenario[];
}

export interface FleetScenario {
  readonly caseId: string;
  readonly protocol: string;
  readonly status: ResultStatus;
  readonly why: string;
}

const verdictOfExit: Record<number, TargetVerdict> = { [ExitCode.passed]: 'passed', [ExitCode.failed]: 'failed', [ExitCode.inconclusive]: 'inconclusive' };

export function targetVerdict(exitCode: number | null): TargetVerdict {
  return exitCode === null ? 'error' : verdictOfExit[exitCode] ?? 'error';
}

/** The fleet's exit code: a failure anywhere, then a harness error, then a target that could not be judged. */
export function fleetExitCode(targets: readonly Pick<FleetTargetResult, 'verdict'>[]): number {
  const has = (verdict: TargetVerdict): boolean => targets.some((t) => t.verdict === verdict);
  if (has('failed')) return ExitCode.failed;
  if (has('error')) return ExitCode.internal;
  if (has('inconclusive')) return ExitCode.inconclusive;
  return ExitCode.passed;
}

/** The slim per-scenario view of a target's own results.json. */
export function fleetScenarios(results: RunResults): FleetScenario[] {
  return results.scenarios.map((s) => ({
    caseId: s.record?.caseId ?? s.name,
    protocol: s.record?.protocol ?? 'unknown',
    status: s.status,
    // Bounded: the full reason is in the target's own report.
    why: s.why.length > 300 ? `${s.why.slice(0, 297)}...` : s.why,
  }));
}

export function buildFleetResults(meta: Pick<FleetResults, 'startedAt' | 'wallMs' | 'inventory'> & { shard?: Shard; mergedFrom?: readonly string[] }, targets: readonly FleetTargetResult[]): FleetResults {
  const sorted = [...targets].sort((a, b) => a.index - b.index);
  const verdicts: Record<TargetVerdict, number> = { passed: 0, failed: 0, inconclusive: 0, error: 0 };
  for (const target of sorted) verdicts[target.verdict] += 1;
  return {
    tool: { name: 'mtlspec', version: toolVersion() },
    kind: 'mtlspec-fleet',
    ...meta,
    verdicts,
    scenarioTotals: countByStatus(sorted.flatMap((t) => t.scenarios)),
    exitCode: fleetExitCode(sorted),
    targets: sorted,
  };
}

export function writeFleetResults(file: string, results: FleetResults): void {
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}

/** Far above a fleet of thousands of targets' slim results; a bigger file is not one mtlspec wrote. */
const fleetResultsCap = 256 * 1024 * 1024;

/** A target's or a fleet's results.json, or undefined when there is none. */
export function readJsonFile(file: string): unknown {
  if (!existsSync(file)) return undefined;
  if (statSync(file).size > fleetResultsCap) throw new Error(`${file} is larger than ${fleetResultsCap / 1024 / 1024} MiB`);
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}

export function targetResultsFile(fleetDir: string, target: Pick<FleetTargetResult, 'dir'>): string {
  return path.join(fleetDir, target.dir, 'results.json');
}
