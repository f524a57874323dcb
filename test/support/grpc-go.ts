import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PrivateDir } from '../../src/pki/private-dir.js';
import { packageRoot } from '../../src/paths.js';
import { lastLines, loopbackHost, startAnnouncingServer, type StartedServer } from './child-server.js';
import { ensureCommand, ensurePackage, findCommand } from './ensure-package.js';

/**
 * A real grpc-go server on loopback: the standard health service
 * (google.golang.org/grpc/health) behind crypto/tls with a client CA, from
 * test/fixtures/real-servers/grpc-go-health/main.go.
 *
 * Built from Debian's packaged sources only (golang-go 1.19, grpc-go 1.33
 * from golang-google-grpc-dev) in GOPATH mode: no module proxy, no network.
 * The binary and Go's build cache live in a private temp folder for this
 * test process only (a cold build takes ~8 s on two cores), shared by every
 * server the process starts and removed at exit.
 */

export interface GrpcGoOptions {
  /**
   * crypto/tls's ClientAuth: 'require-and-verify' (RequireAndVerifyClientCert,
   * the correct one) or 'require-any' (RequireAnyClientCert: some certificate
   * must be sent, but nothing about it is verified).
   */
  clientAuth: 'require-and-verify' | 'require-any';
  /** CA that signs acceptable client certificates (tls.Config.ClientCAs). */
  clientCaPem: string;
  certPem: string;
  keyPem: string;
}

export interface RunningGrpcGo extends StartedServer {
  /** grpcs://127.0.0.1:PORT: the CLI's default method is grpc.health.v1.Health/Check, which this serves. */
  url: string;
}

const sourceDir = path.join(packageRoot, 'test/fixtures/real-servers/grpc-go-health');
/** Debian's GOPATH: golang-*-dev packages put their sources under src/ here. */
const debianGopath = '/usr/share/gocode';
const grpcHealthSource = path.join(debianGopath, 'src/google.golang.org/grpc/health/server.go');
const buildTimeoutMs = 120_000;
const readyTimeoutMs = 5000;

export async function startGrpcGo(options: GrpcGoOptions): Promise<RunningGrpcGo> {
  const binary = await buildOnce();
  const dir = new PrivateDir('mtlspec-grpc-go-');
  const args = [
    '-cert', dir.write('server.pem', options.certPem),
    '-key', dir.write('server.key', options.keyPem),
    '-ca', dir.write('client-ca.pem', options.clientCaPem),
    '-client-auth', options.clientAuth,
  ];
  const server = await startAnnouncingServer('the grpc-go server', binary, args, dir, readyTimeoutMs);
  return { ...server, url: `grpcs://${loopbackHost}:${server.port}` };
}

let built: Promise<string> | undefined;

/** One build per test process, however many servers start at once. */
function buildOnce(): Promise<string> {
  built ??= build();
  return built;
}

async function build(): Promise<string> {
  ensureCommand('go', 'golang-go');
  ensurePackage('golang-google-grpc-dev', `grpc-go's sources (${grpcHealthSource})`, () => existsSync(grpcHealthSource));
  const go = findCommand('go') ?? 'go';
  const out = new PrivateDir('mtlspec-grpc-go-build-');
  const binary = path.join(out.path, 'grpc-go-health');
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
