import { existsSync } from 'node:fs';
import path from 'node:path';
import { PrivateDir } from '../../src/pki/private-dir.js';
import { packageRoot } from '../../src/paths.js';
import { loopbackHost, startAnnouncingServer, type StartedServer } from './child-server.js';
import { ensurePackage } from './ensure-package.js';
import { buildGoProgram, debianGopath } from './go-build.js';

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
const grpcHealthSource = path.join(debianGopath, 'src/google.golang.org/grpc/health/server.go');
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
  ensurePackage('golang-google-grpc-dev', `grpc-go's sources (${grpcHealthSource})`, () => existsSync(grpcHealthSource));
  return buildGoProgram(sourceDir, 'grpc-go-health');
}
