import { spawn } from 'node:child_process';
import { cleanUpAtExit } from '../exit-cleanup.js';

/**
 * Runs the client under test once: `--exec` with its placeholders filled in,
 * through /bin/sh, in a process group of its own so that the timeout (or a
 * signal to mtlspec) kills the client and everything it started, never
 * leaving a client behind. Its exit code and the end of its stderr are
 * evidence, bounded so a chatty client cannot fill memory or a report.
 */

export const placeholderNames = ['url', 'host', 'port', 'ca', 'cert', 'key', 'servername'] as const;
export type Placeholders = Readonly<Record<(typeof placeholderNames)[number], string>>;

export interface ClientProcessResult {
  /** The command as run, placeholders filled in. */
  readonly command: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** mtlspec killed it at the timeout. */
  readonly timedOut: boolean;
  /** Why it could not be started at all. */
  readonly spawnError?: string;
  /** The last bytes of stderr and stdout (see outputLimit). */
  readonly stderr: string;
  readonly stdout: string;
  readonly durationMs: number;
}

/** Bytes of each stream kept: the end, where a client says why it stopped. */
const outputLimit = 2048;

/** Fills `{name}` placeholders with shell-safe words; text in other braces is left alone (awk, JSON). */
export function fillPlaceholders(command: string, values: Placeholders): string {
  return command.replace(/\{([a-z]+)\}/g, (whole, name: string) => (name in values ? shellWord(values[name as keyof Placeholders]) : whole));
}

/** A value as one shell word: bare when it is plainly safe, else single-quoted. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,[\]-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface RunningClient {
  readonly done: Promise<ClientProcessResult>;
  /** Kills the client's process group now (idempotent). */
  kill(): void;
}

/**
 * Starts the command; `done` resolves when it exits, or when `timeoutMs`
 * has passed and its process group was killed. Never rejects.
 */
export function startClient(command: string, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): RunningClient {
  const started = performance.now();
  const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  const keep = (text: string, chunk: Buffer): string => (text + chunk.toString('utf8')).slice(-outputLimit);
  child.stdout.on('data', (chunk: Buffer) => (stdout = keep(stdout, chunk)));
  child.stderr.on('data', (chunk: Buffer) => (stderr = keep(stderr, chunk)));
  let timedOut = false;
  let exited = false;
  const killGroup = (): void => {
    if (exited || child.pid === undefined) return;
    try {
      // The negative pid is the process group: the shell and the client it started.
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  const cancelCleanup = cleanUpAtExit(killGroup);
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, timeoutMs);
  const done = new Promise<ClientProcessResult>((resolve) => {
    const base = (): Pick<ClientProcessResult, 'command' | 'timedOut' | 'stderr' | 'stdout' | 'durationMs'> => ({
      command, timedOut, stderr, stdout, durationMs: Math.round(performance.now() - started),
    });
    child.once('error', (error) => {
      exited = true;
      clearTimeout(timer);
      cancelCleanup();
      resolve({ ...base(), exitCode: null, signal: null, spawnError: error.message });
    });
    // 'close', not 'exit': the streams are drained by then, so the evidence is complete.
    child.once('close', (exitCode, signal) => {
      // The shell is gone; anything it left running in the group goes with it.
      killGroup();
      exited = true;
      clearTimeout(timer);
      cancelCleanup();
      resolve({ ...base(), exitCode, signal });
    });
  });
  return { done, kill: killGroup };
}
