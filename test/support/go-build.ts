import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { PrivateDir } from '../../src/pki/private-dir.js';
import { lastLines } from './child-server.js';
import { ensureCommand, findCommand } from './ensure-package.js';

/** Debian's GOPATH: golang-*-dev packages put their sources under src/ here. */
export const debianGopath = '/usr/share/gocode';
const buildTimeoutMs = 120_000;

/**
 * Builds the Go program in `sourceDir` with Debian's golang-go in GOPATH
 * mode over Debian's packaged sources only: no module proxy, no network.
 * The binary and Go's build cache live in a private temp folder for this
 * test process only, removed at exit. Returns the binary's path.
 */
export async function buildGoProgram(sourceDir: string, name: string): Promise<string> {
  ensureCommand('go', 'golang-go');
  const go = findCommand('go') ?? 'go';
  const out = new PrivateDir(`mtlspec-${name}-build-`);
  const binary = path.join(out.path, name);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // GOPATH mode over Debian's packaged sources: nothing is fetched.
    GO111MODULE: 'off',
    GOPATH: debianGopath,
    GOPROXY: 'off',
    GOFLAGS: '',
    // The user's go env file (GOFLAGS=-mod=..., a GOPROXY) must not leak in.
    GOENV: 'off',
    GOCACHE: path.join(out.path, 'cache'),
    // Pure Go: no C compiler needed (golang-go only recommends gcc), and the
    // resolver's cgo path is irrelevant on 127.0.0.1.
    CGO_ENABLED: '0',
  };
  try {
    await promisify(execFile)(go, ['build', '-o', binary, '.'], { cwd: sourceDir, env, timeout: buildTimeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024 });
  } catch (error) {
    const { stderr = '', message } = error as Error & { stderr?: string };
    out.remove();
    throw new Error(`go build of ${sourceDir} failed (GO111MODULE=off GOPATH=${debianGopath}): ${message}\n${lastLines(stderr, 30)}`);
  }
  return binary;
}
