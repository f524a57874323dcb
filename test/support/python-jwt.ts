import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../../src/paths.js';
import { PrivateDir } from '../../src/pki/private-dir.js';
import { loopbackHost, startAnnouncingServer } from './child-server.js';
import { ensurePackage } from './ensure-package.js';

/**
 * A Python HTTPS resource server that verifies bearer tokens with PyJWT
 * (Debian's python3-jwt) on top of mutual TLS (test/fixtures/python-jwt-https.py):
 * a token verifier nobody here wrote. With checkCnf false it skips the
 * RFC 8705 binding check, the flaw the tests must catch.
 */
export interface PythonJwtOptions {
  readonly clientCaPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** SPKI PEM of the issuer's ES256 key. */
  readonly issuerPublicPem: string;
  readonly issuer: string;
  readonly audience: string;
  readonly checkCnf: boolean;
}

export interface RunningPythonJwt {
  /** https://127.0.0.1:PORT/api */
  readonly url: string;
  output(): string;
  close(): Promise<void>;
}

/** Debian's interpreter by path: python3-jwt installs into its dist-packages, which a pyenv python3 first on PATH does not see. */
const debianPython = '/usr/bin/python3';
const script = path.join(packageRoot, 'test/fixtures/python-jwt-https.py');
const readyTimeoutMs = 10_000;

export async function startPythonJwt(options: PythonJwtOptions): Promise<RunningPythonJwt> {
  ensurePackage('python3-jwt', `the Python module "jwt" (PyJWT) for ${debianPython}`, () => imports('import jwt'));
  // ES256 needs PyJWT's cryptography backend.
  ensurePackage('python3-cryptography', `the Python module "cryptography" for ${debianPython}`, () => imports('import cryptography'));
  const dir = new PrivateDir('mtlspec-python-jwt-');
  const args = [
    script,
    '--cert', dir.write('server.pem', options.certPem),
    '--key', dir.write('server.key', options.keyPem),
    '--ca', dir.write('client-ca.pem', options.clientCaPem),
    '--issuer-key', dir.write('issuer.pub.pem', options.issuerPublicPem),
    '--iss', options.issuer,
    '--aud', options.audience,
    '--check-cnf', options.checkCnf ? 'yes' : 'no',
  ];
  const server = await startAnnouncingServer('the PyJWT server', debianPython, args, dir, readyTimeoutMs);
  return { url: `https://${loopbackHost}:${server.port}/api`, output: server.output, close: server.close };
}

function imports(statement: string): boolean {
  return spawnSync(debianPython, ['-c', statement], { stdio: 'ignore', timeout: 30_000 }).status === 0;
}
