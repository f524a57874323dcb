import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { cleanUpAtExit } from '../exit-cleanup.js';
import { packageRoot } from '../paths.js';

/**
 * One target's run, as its own `mtlspec run` process. A process per target
 * is what lets targets run side by side: a run's scenarios are cucumber's,
 * which keeps one support library and one session per process. It also
 * makes a target's report exactly a single run's, and keeps one target's
 * crash or hang from touching another's.
 */
export interface ChildRun {
  /** The run's exit code; null when it was ended by a signal. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The run's last line on stderr: why it stopped early (unreachable, refused control, bad input). */
  readonly lastError: string;
  readonly wallMs: number;
  /** Ended by the fleet because it outlived its deadline. */
  readonly timedOut: boolean;
}

export interface ChildOptions {
  readonly args: readonly string[];
  readonly reportDir: string;
  /** Ended (SIGTERM, then SIGKILL 5 s later) if still running after this long. */
  readonly deadlineMs: number;
  /** Each scenario's "[n/N]" progress, as the run prints it. */
  readonly onScenario: (done: number, total: number) => void;
}

const killGraceMs = 5000;
const progress = /^\s*\[(\d+)\/(\d+)\]/;

export function runTargetChild(options: ChildOptions): Promise<ChildRun> {
  mkdirSync(options.reportDir, { recursive: true });
  const started = performance.now();
  const invocation = secretsOffTheCommandLine(options.args, childEnvironment(process.env, passwordVariables(options.args)));
  const child = spawn(process.execPath, [path.join(packageRoot, 'bin/mtlspec.js'), 'run', ...invocation.args, `--report-dir=${options.reportDir}`, '--log-format=json'], {
    // Its own folder as the working directory: no mtlspec.config.* there to add settings the inventory did not give.
    cwd: options.reportDir,
    env: invocation.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const cancelCleanup = cleanUpAtExit(() => void child.kill('SIGTERM'));
  let stdoutRest = '';
  let stderrTail = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (stdoutRest + chunk.toString('utf8')).split('\n');
    stdoutRest = lines.pop() ?? '';
    for (const line of lines) {
      const match = progress.exec(line);
      if (match) options.onScenario(Number(match[1]), Number(match[2]));
    }
  });
  // Only the end matters (the one-line reason); keep a bounded tail.
  child.stderr.on('data', (chunk: Buffer) => (stderrTail = (stderrTail + chunk.toString('utf8')).slice(-8192)));
  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const deadline = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), killGraceMs);
  }, options.deadlineMs);
  return new Promise((resolve) => {
    child.once('close', (exitCode, signal) => {
      clearTimeout(deadline);
      clearTimeout(killTimer);
      cancelCleanup();
      resolve({ exitCode, signal, lastError: lastMessage(stderrTail), wallMs: Math.round(performance.now() - started), timedOut });
    });
  });
}

/** The fleet's settings reach a target only as arguments: MTLSPEC_* variables were read once, by the fleet. */
function childEnvironment(env: NodeJS.ProcessEnv, keep: readonly string[]): NodeJS.ProcessEnv {
  const kept = Object.entries(env).filter(([name]) => !name.startsWith('MTLSPEC_') || keep.includes(name));
  return { ...Object.fromEntries(kept), FORCE_COLOR: '0' };
}

/**
 * An inventory's `token` goes to its child in MTLSPEC_TOKEN, not as
 * --token: a command line is readable by every user of the machine (ps),
 * the environment only by the child's owner.
 */
export function secretsOffTheCommandLine(args: readonly string[], env: NodeJS.ProcessEnv): { args: string[]; env: NodeJS.ProcessEnv } {
  const token = args.find((arg) => arg.startsWith('--token='));
  if (token === undefined) return { args: [...args], env };
  return { args: args.filter((arg) => !arg.startsWith('--token=')), env: { ...env, MTLSPEC_TOKEN: token.slice('--token='.length) } };
}

/** The variable a target's --p12-password-env names must reach it, whatever its name. */
function passwordVariables(args: readonly string[]): string[] {
  return args.filter((arg) => arg.startsWith('--p12-password-env=')).map((arg) => arg.slice('--p12-password-env='.length));
}

/** The last line that is not a JSON log line, without the "mtlspec: " prefix. */
function lastMessage(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('{'));
  return (lines.at(-1) ?? '').replace(/^mtlspec: /, '');
}
