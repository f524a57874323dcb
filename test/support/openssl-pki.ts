import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Test certificates made with the `openssl` CLI rather than the project's own
 * PKI module, so tests of code that consumes certificates do not depend on the
 * code that produces them, and the CLI can serve as an independent oracle.
 *
 * Every file goes into a caller-supplied directory (which the caller creates
 * private and removes). Keys are EC P-256; validity is one day.
 */

const run = promisify(execFile);

export interface KeyPair {
  certPem: string;
  keyPem: string;
}

export interface OpensslCa extends KeyPair {
  name: string;
  certPath: string;
  keyPath: string;
}

export interface LeafSpec {
  /** File stem inside the directory, also the subject CN. */
  name: string;
  /** subjectAltName value in openssl syntax, e.g. "DNS:localhost,IP:127.0.0.1". */
  subjectAltName?: string;
  extendedKeyUsage: 'serverAuth' | 'clientAuth';
}

/**
 * One config file per certificate holding both a minimal `[req]` section and
 * the `[v3]` extensions: OpenSSL's default config would add extensions of its
 * own, and OpenSSL 3.0's `req` has no -extfile, so extensions must live in the
 * config it reads. Per certificate so parallel issuance never reads a
 * half-written file.
 */
async function configFile(dir: string, name: string, extensions: readonly string[]): Promise<string> {
  const file = path.join(dir, `${name}.cnf`);
  const text = ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', '[v3]', ...extensions, ''].join('\n');
  await writeFile(file, text, { mode: 0o600 });
  return file;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd: dir });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args.join(' ')} failed: ${stderr || String(err)}`);
  }
}

const keyArgs = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

export async function makeCa(dir: string, name: string): Promise<OpensslCa> {
  const config = await configFile(dir, name, [
    'basicConstraints = critical, CA:TRUE',
    'keyUsage = critical, keyCertSign, cRLSign',
    'subjectKeyIdentifier = hash',
  ]);
  const certPath = path.join(dir, `${name}.pem`);
  const keyPath = path.join(dir, `${name}.key`);
  await openssl(dir, [
    'req', '-x509', '-config', config, '-extensions', 'v3', ...keyArgs,
    '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', `/CN=${name}`, '-set_serial', serial(),
  ]);
  return { name, certPath, keyPath, ...(await readPair(certPath, keyPath)) };
}

export async function issueLeaf(dir: string, ca: OpensslCa, spec: LeafSpec): Promise<KeyPair> {
  const lines = [
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
    `extendedKeyUsage = ${spec.extendedKeyUsage}`,
    'authorityKeyIdentifier = keyid',
  ];
  if (spec.subjectAltName !== undefined) lines.push(`subjectAltName = ${spec.subjectAltName}`);
  const config = await configFile(dir, spec.name, lines);
  const csr = path.join(dir, `${spec.name}.csr`);
  const certPath = path.join(dir, `${spec.name}.pem`);
  const keyPath = path.join(dir, `${spec.name}.key`);
  await openssl(dir, ['req', '-new', '-config', config, ...keyArgs, '-keyout', keyPath, '-out', csr, '-subj', `/CN=${spec.name}`]);
  await openssl(dir, [
    'x509', '-req', '-in', csr, '-CA', ca.certPath, '-CAkey', ca.keyPath, '-set_serial', serial(),
    '-days', '1', '-sha256', '-extfile', config, '-extensions', 'v3', '-out', certPath,
  ]);
  return readPair(certPath, keyPath);
}

/** The certificates the reference-server tests need. */
export interface TestPki {
  caPem: string;
  server: KeyPair;
  /** clientAuth leaf with URI SAN spiffe://example.org/client. */
  client: KeyPair;
  /** clientAuth leaf with URI SAN spiffe://example.org/other. */
  otherClient: KeyPair;
  /** clientAuth leaf with spiffe://example.org/client, issued by a CA the servers do not trust. */
  untrustedClient: KeyPair;
}

export const clientSpiffeId = 'spiffe://example.org/client';
export const otherSpiffeId = 'spiffe://example.org/other';

export async function makeTestPki(dir: string): Promise<TestPki> {
  const [ca, rogue] = await Promise.all([makeCa(dir, 'ca'), makeCa(dir, 'untrusted-ca')]);
  const [server, client, otherClient, untrustedClient] = await Promise.all([
    issueLeaf(dir, ca, { name: 'server', subjectAltName: 'DNS:localhost,IP:127.0.0.1', extendedKeyUsage: 'serverAuth' }),
    issueLeaf(dir, ca, { name: 'client', subjectAltName: `URI:${clientSpiffeId}`, extendedKeyUsage: 'clientAuth' }),
    issueLeaf(dir, ca, { name: 'other-client', subjectAltName: `URI:${otherSpiffeId}`, extendedKeyUsage: 'clientAuth' }),
    issueLeaf(dir, rogue, { name: 'untrusted-client', subjectAltName: `URI:${clientSpiffeId}`, extendedKeyUsage: 'clientAuth' }),
  ]);
  return { caPem: ca.certPem, server, client, otherClient, untrustedClient };
}

async function readPair(certPath: string, keyPath: string): Promise<KeyPair> {
  const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
  return { certPem, keyPem };
}

/** Random positive serials, so two runs never issue colliding certificates. */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return `0x${bytes.toString('hex')}`;
}
