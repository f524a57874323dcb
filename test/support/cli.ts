import { spawn } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../../src/paths.js';

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
      env: { ...withoutMtlspecVariables(process.env), CI: 'true', FORCE_COLOR: '0', ...env },
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

/** The "FAIL <case> over <protocol>" lines the terminal shows, as "case@protocol" keys. */
export function failingScenarios(stdout: string): string[] {
  return [...stdout.matchAll(/^\s+FAIL\s+(\S+) over (\S+)/gm)].map((m) => `${m[1]}@${m[2]}`).sort();
}

/** A developer's own MTLSPEC_* settings must not leak into the tests. */
function withoutMtlspecVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('MTLSPEC_')));
}
