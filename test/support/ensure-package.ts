import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/**
 * Makes a third-party command available to the tests by installing its Debian
 * package. CI runs on a clean machine as root with nothing installed by hand,
 * so a test that needs nginx must bring nginx itself.
 *
 * Synchronous on purpose: it runs once in a `before` hook, and nothing else
 * in the test file can make progress until the command exists anyway.
 */

/** apt-get update is slow-ish and idempotent: once per process is enough. */
let aptUpdated = false;

const updateTimeoutMs = 120_000;
const installTimeoutMs = 300_000;

/**
 * Daemons like nginx live in /usr/sbin, which a non-login shell's PATH (CI's,
 * a developer's sudo-less shell) may leave out: look there too, or we would
 * "install" a package that is already installed and still not find it.
 */
const systemDirs = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The absolute path of `command`, or undefined when it is not installed. */
export function findCommand(command: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean), ...systemDirs];
  for (const dir of dirs) {
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  return undefined;
}

/**
 * Installs `debianPackage` with apt-get unless `command` is already there.
 * Throws one error that says what failed and how to fix it by hand.
 */
export function ensureCommand(command: string, debianPackage: string): void {
  ensurePackage(debianPackage, `"${command}"`, () => findCommand(command) !== undefined);
}

/**
 * Installs `debianPackage` with apt-get unless `isInstalled()` already holds,
 * for what is not a command on the PATH: a Python module, a tree of Go
 * sources. `what` names it in errors ('the Python module "grpc"').
 */
export function ensurePackage(debianPackage: string, what: string, isInstalled: () => boolean): void {
  if (isInstalled()) return;
  const fix = `install it by hand: apt-get install ${debianPackage}`;
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    throw new Error(`${what} is not installed and the tests can only install it as root on Debian; ${fix}`);
  }
  if (findCommand('apt-get') === undefined) {
    throw new Error(`${what} is not installed and this machine has no apt-get; ${fix}`);
  }
  if (!aptUpdated) {
    aptGet(['update'], updateTimeoutMs, what, fix);
    aptUpdated = true;
  }
  aptGet(['install', '-y', '--no-install-recommends', debianPackage], installTimeoutMs, what, fix);
  if (!isInstalled()) {
    throw new Error(`apt-get installed ${debianPackage} but ${what} is still not found; ${fix}`);
  }
}

function aptGet(args: readonly string[], timeoutMs: number, what: string, fix: string): void {
  const result = spawnSync(
    'apt-get',
    // Another apt run (a parallel test file, unattended upgrades) may hold the
    // dpkg lock; waiting for it beats failing on it.
    ['-o', 'DPkg::Lock::Timeout=60', '-q', ...args],
    {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      encoding: 'utf8',
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: 16 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const step = `apt-get ${args.join(' ')} (needed for ${what})`;
  if (result.error) {
    const timedOut = (result.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
    throw new Error(`${step} ${timedOut ? `timed out after ${timeoutMs / 1000} s` : `could not run: ${result.error.message}`}; ${fix}`);
  }
  if (result.status !== 0) {
    const output = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${step} failed with ${result.signal ?? `exit code ${result.status}`}; ${fix}\n${output}`);
  }
}
