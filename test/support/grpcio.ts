import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PrivateDir } from '../../src/pki/private-dir.js';
import { packageRoot } from '../../src/paths.js';
import { loopbackHost, startAnnouncingServer, type StartedServer } from './child-server.js';
import { ensurePackage } from './ensure-package.js';

/**
 * A real Python grpcio server on loopback (Debian's python3-grpcio: gRPC
 * core linked to the system's OpenSSL, where PyPI's wheels bundle
 * BoringSSL), answering grpc.health.v1.Health/Check, from
 * test/fixtures/real-servers/grpcio_health.py.
 */

export interface GrpcioOptions {
  /**
   * grpc.ssl_server_credentials(require_client_auth=...). 'require' is the
   * correct setting. 'optional' (False) is the misconfiguration: gRPC then
   * does not even ask for a client certificate (no CertificateRequest), so
   * every client gets in.
   */
  clientAuth: 'require' | 'optional';
  /** root_certificates: the CA that signs acceptable client certificates. */
  clientCaPem: string;
  certPem: string;
  keyPem: string;
}

export interface RunningGrpcio extends StartedServer {
  /** grpcs://127.0.0.1:PORT: the CLI's default method is grpc.health.v1.Health/Check, which this serves. */
  url: string;
}

/**
 * Debian's interpreter, by absolute path: python3-grpcio installs into its
 * dist-packages, and the python3 first on a developer's PATH (pyenv, a
 * virtualenv) does not see them.
 */
const debianPython = '/usr/bin/python3';
const script = path.join(packageRoot, 'test/fixtures/real-servers/grpcio_health.py');
/** Python and gRPC core take ~0.5 s to start; a loaded CI box more. */
const readyTimeoutMs = 10_000;

export async function startGrpcio(options: GrpcioOptions): Promise<RunningGrpcio> {
  ensurePackage('python3-grpcio', `the Python module "grpc" for ${debianPython}`, grpcImports);
  const dir = new PrivateDir('mtlspec-grpcio-');
  const args = [
    script,
    dir.write('server.pem', options.certPem),
    dir.write('server.key', options.keyPem),
    dir.write('client-ca.pem', options.clientCaPem),
    options.clientAuth,
  ];
  const server = await startAnnouncingServer('the grpcio server', debianPython, args, dir, readyTimeoutMs);
  return { ...server, url: `grpcs://${loopbackHost}:${server.port}` };
}

function grpcImports(): boolean {
  return spawnSync(debianPython, ['-c', 'import grpc'], { stdio: 'ignore', timeout: 30_000 }).status === 0;
}
