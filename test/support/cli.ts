import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../src/paths.js';

/**
 * The temp folder the CLI children use, unless a test gives its own: a run
 * sweeps abandoned mtlspec-* folders from its temp folder, and the tests
 * must neither sweep nor inspect the machine's /tmp, where other processes live.
 */
let sharedChildTmp: string | undefined;
export function childTmpDir(): string {
  if (!sharedChildTmp) {
    const dir = mkdtempSync(path.join(tmpdir(), 'mtlspec-test-tmp-'));
    sharedChildTmp = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return sharedChildTmp;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  timeoutMs?: number;
  /** Extra environment variables (MTLSPEC_* settings). */
  env?: Record<string, string>;
  cwd?: string;
}

/** Runs the real CLI as a user would, killed if it outlives its timeout. */
export function runCli(args: readonly string[], options: CliOptions | number = {}): Promise<CliRun> {
  const { timeoutMs = 60_000, env = {}, cwd = packageRoot } = typeof options === 'number' ? { timeoutMs: options } : options;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(packageRoot, 'bin/mtlspec.js'), ...args], {
      env: { ...withoutMtlspecVariables(process.env), CI: 'true', FORCE_COLOR: '0', TMPDIR: childTmpDir(), ...env },
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mtlspec ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface ScenarioLine {
  readonly mark: string;
  readonly caseId: string;
  readonly target: string;
}

/**
 * The per-scenario lines the terminal shows: "  [12/140] FAIL  <case> over
 * <target> (9 ms)", or "(1274 ms, 2 retries after the target shed a probe)"
 * for a case that needed retries.
 */
export function scenarioLines(stdout: string): ScenarioLine[] {
  return [...stdout.matchAll(/^\s+(?:\[\s*\d+\/\d+\]\s+)?([A-Z]+)\s+(\S+) over (\S+) \(\d+ ms[,)]/gm)].map((m) => ({ mark: m[1] ?? '', caseId: m[2] ?? '', target: m[3] ?? '' }));
}

/** "case@target" keys of the lines with this mark, sorted. */
export function scenariosMarked(stdout: string, mark: string): string[] {
  return scenarioLines(stdout).filter((l) => l.mark === mark).map((l) => `${l.caseId}@${l.target}`).sort();
}

/** The FAIL lines, as "case@target" keys. */
export function failingScenarios(stdout: string): string[] {
  return scenariosMarked(stdout, 'FAIL');
}

/** A developer's own MTLSPEC_* settings must not leak into the tests. */
function withoutMtlspecVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('MTLSPEC_')));
}

export interface LongRunningCli {
  /** Everything printed so far on stdout. */
  output(): string;
  /** Resolves with stdout once a line matches, or rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Everything printed so far on stderr. */
  errors(): string;
  readonly pid: number | undefined;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves with the exit code once the process has ended by itself. */
  readonly exited: Promise<number | null>;
}

/** Starts a CLI command that keeps running (serve, or a run to interrupt), for tests that talk to it. */
export function startCli(args: readonly string[], options: Omit<CliOptions, 'timeoutMs'> = {}): LongRunningCli {
  const { env = {}, cwd = packageRoot } = options;
  const child = spawn(process.execPath, [path.join(packageRoot, 'bin/mtlspec.js'), ...args], {
    env: { ...withoutMtlspecVariables(process.env), CI: 'true', FORCE_COLOR: '0', TMPDIR: childTmpDir(), ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return {
    output: () => stdout,
    errors: () => stderr,
    pid: child.pid,
    exited,
    waitFor: (pattern, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const poll = setInterval(() => {
          const match = stdout.match(pattern);
          if (match) {
            clearInterval(poll);
            resolve(match);
          } else if (Date.now() > deadline || child.exitCode !== null) {
            clearInterval(poll);
            reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
          }
        }, 25);
      }),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
