import path from 'node:path';
import type { RunResults } from '../report/run-results.js';
import type { FleetTask } from './fleet-entries.js';
import { fleetScenarios, readJsonFile, targetVerdict, type FleetTargetResult } from './fleet-results.js';
import { FleetProgress } from './progress.js';
import { runTargetChild, type ChildRun } from './target-child.js';

export interface FleetRunOptions {
  /** The folder the fleet writes its report into; each target gets targets/<name>/ inside. */
  readonly dir: string;
  /** Targets run side by side, each still one connection at a time (and its own --rate). */
  readonly concurrency: number;
  /** A line of progress: a target finished, or a periodic summary. */
  readonly say: (line: string) => void;
  /** How often to say where the fleet is while no target finishes. */
  readonly progressEveryMs?: number;
}

/**
 * Runs the targets, at most `concurrency` at a time, in inventory order.
 * A target whose run cannot judge it (unreachable, control refused) is
 * inconclusive, and the others still run.
 */
export async function runFleet(tasks: readonly FleetTask[], options: FleetRunOptions): Promise<FleetTargetResult[]> {
  const progress = new FleetProgress(tasks.length);
  const results: FleetTargetResult[] = [];
  const ticker = setInterval(() => options.say(progress.line()), options.progressEveryMs ?? 10_000);
  ticker.unref();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let task = tasks[next++]; task !== undefined; task = tasks[next++]) {
      const dir = targetDir(task);
      const started = task.entry.index;
      const run = await runTargetChild({
        args: task.args,
        reportDir: path.join(options.dir, dir),
        deadlineMs: task.deadlineMs,
        onScenario: (done, total) => progress.scenario(started, done, total),
      });
      const result = targetResult(task, dir, run, readJsonFile(path.join(options.dir, dir, 'results.json')) as RunResults | undefined);
      results.push(result);
      progress.targetDone(started);
      options.say(`${progress.line()} ${result.name}: ${result.verdict}${result.reason ? ` (${result.reason})` : ''}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, tasks.length)) }, worker));
  } finally {
    clearInterval(ticker);
  }
  return results;
}

/** targets/<name>-<position>: readable, and unique even when two names differ only in characters a path cannot hold. */
export function targetDir(task: Pick<FleetTask, 'entry'>): string {
  const slug = task.entry.name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 60) || 'target';
  return path.posix.join('targets', `${slug}-${task.entry.index + 1}`);
}

function targetResult(task: FleetTask, dir: string, run: ChildRun, results: RunResults | undefined): FleetTargetResult {
  const verdict = run.timedOut ? 'error' : targetVerdict(run.exitCode);
  return {
    name: task.entry.name,
    ...(task.entry.owner !== undefined ? { owner: task.entry.owner } : {}),
    tags: task.entry.tags,
    index: task.entry.index,
    url: task.url,
    verdict,
    exitCode: run.exitCode,
    reason: reasonFor(run, results),
    wallMs: run.wallMs,
    dir,
    ...(results ? { totals: results.totals } : {}),
    scenarios: results ? fleetScenarios(results) : [],
  };
}

function reasonFor(run: ChildRun, results: RunResults | undefined): string {
  if (run.timedOut) return `stopped: still running after its deadline`;
  if (run.signal) return `ended by ${run.signal}`;
  if (!results) return run.lastError || `its run ended with exit code ${run.exitCode ?? '?'} and no results`;
  const t = results.totals;
  return `${results.scenarios.length} scenarios: ${t.passed + t.warning} passed, ${t.failed} failed, ${t.inconclusive} inconclusive, ${t.error} error`;
}
