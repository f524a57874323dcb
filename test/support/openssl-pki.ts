import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Test certificates made with the `openssl` CLI rather than the project's own
 * PKI module, so tests of code that consumes certificates do not depend on the
 * code that produces them, and the CLI can serve as an independent oracle.
 *
 * Every file goes into a caller-supplied directory (which the caller creates
 * private and removes). Keys are EC P-256 unless a spec says otherwise;
 * validity is one day unless a spec gives dates.
 *
 * Each CA keeps a small `openssl ca` database: revocation and CRLs come from
 * it, and so do certificates with given validity dates (OpenSSL 3.0's
 * `x509 -req` cannot set them). `openssl ca` rewrites that database on every
 * call, so calls for one CA run one at a time.
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
  /** The `openssl ca` config of this CA (database, policy). */
  configPath: string;
  /** The intermediates from this CA up to, not including, the root: what a leaf it issues sends along. */
  chainPems: readonly string[];
}

export interface Leaf extends KeyPair {
  certPath: string;
  /** The issuing CA's intermediates, PEM-concatenated ('' under a root): send them after certPem. */
  chainPem: string;
}

export type KeyKind = 'ec' | 'rsa-1024' | 'rsa-2048';

export interface CaOptions {
  /** Subject CN; default the name. An impostor CA reuses the trusted CA's. */
  subjectCn?: string;
  key?: KeyKind;
  /** Makes an intermediate signed by this CA instead of a self-signed root. */
  issuer?: OpensslCa;
  /** basicConstraints value; default "critical, CA:TRUE". */
  basicConstraints?: string;
  /** keyUsage value; default "critical, keyCertSign, cRLSign". */
  keyUsage?: string;
}

export interface LeafSpec {
  /** File stem inside the directory, also the subject CN unless subjectCn is given. */
  name: string;
  subjectCn?: string;
  /** subjectAltName value in openssl syntax, e.g. "DNS:localhost,IP:127.0.0.1". */
  subjectAltName?: string;
  /** extendedKeyUsage value, e.g. "clientAuth"; 'absent' leaves the extension out. */
  extendedKeyUsage: string;
  /** keyUsage value; default "critical, digitalSignature"; 'absent' leaves it out. */
  keyUsage?: string;
  /** basicConstraints value; default "critical, CA:FALSE". */
  basicConstraints?: string;
  /** More extension lines in openssl config syntax, e.g. "1.3.6.1.4.1.55555.1 = critical, ASN1:NULL". */
  extraExtensions?: readonly string[];
  key?: KeyKind;
  /** Signature digest; MD5 needs an RSA issuer (there is no ECDSA with MD5). */
  md?: 'sha256' | 'sha1' | 'md5';
  notBefore?: Date;
  notAfter?: Date;
}

/**
 * One config file per certificate holding a minimal `[req]` section and the
 * `[v3]` extensions: OpenSSL's default config would add extensions of its own,
 * and OpenSSL 3.0's `req` has no -extfile, so extensions must live in the
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

function keyArgs(key: KeyKind = 'ec'): string[] {
  switch (key) {
    case 'ec':
      return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    case 'rsa-1024':
      return ['-newkey', 'rsa:1024', '-nodes'];
    case 'rsa-2048':
      return ['-newkey', 'rsa:2048', '-nodes'];
  }
}

/** Calls of `openssl ca` per CA config, chained so that they never overlap. */
const caQueues = new Map<string, Promise<unknown>>();

function withCa<T>(ca: OpensslCa, task: () => Promise<T>): Promise<T> {
  const previous = caQueues.get(ca.configPath) ?? Promise.resolve();
  const next = previous.then(task, task);
  caQueues.set(ca.configPath, next.catch(() => undefined));
  return next;
}

/** The database and policy `openssl ca` needs; CRLs are good for a day, like the certificates. */
async function caConfig(dir: string, name: string): Promise<string> {
  const db = path.join(dir, `${name}-db`);
  await mkdir(path.join(db, 'new'), { recursive: true, mode: 0o700 });
  await Promise.all([
    writeFile(path.join(db, 'index.txt'), ''),
    writeFile(path.join(db, 'serial'), `${serial().slice(2)}\n`),
    writeFile(path.join(db, 'crlnumber'), '01\n'),
  ]);
  const config = path.join(dir, `${name}-ca.cnf`);
  const text = [
    '[ca]', 'default_ca = this_ca',
    '[this_ca]',
    `database = ${path.join(db, 'index.txt')}`,
    `new_certs_dir = ${path.join(db, 'new')}`,
    `serial = ${path.join(db, 'serial')}`,
    `crlnumber = ${path.join(db, 'crlnumber')}`,
    'default_md = sha256', 'default_crl_days = 1', 'policy = any_cn', 'unique_subject = no', 'copy_extensions = none',
    '[any_cn]', 'commonName = supplied', '',
  ].join('\n');
  await writeFile(config, text, { mode: 0o600 });
  return config;
}

/** `openssl ca` wants validity as UTCTime-like YYYYMMDDHHMMSSZ. */
function caDate(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}

interface Issuance {
  /** The certificate's config file: [req] plus the [v3] extensions. */
  config: string;
  key?: KeyKind | undefined;
  keyPath: string;
  certPath: string;
  cn: string;
  md?: string | undefined;
  notBefore?: Date | undefined;
  notAfter?: Date | undefined;
}

/**
 * A new key and a certificate for it, signed by `ca`. Without dates it is one
 * `req -x509 -CA` call (OpenSSL 3.0), run in parallel with any other; with
 * dates it needs `openssl ca` and its one-at-a-time database. Revoking
 * either kind works: `openssl ca -revoke` adds a certificate it has not seen.
 */
async function issue(dir: string, ca: OpensslCa, spec: Issuance): Promise<void> {
  const md = spec.md ?? 'sha256';
  const subject = ['-subj', `/CN=${spec.cn}`];
  if (spec.notBefore === undefined && spec.notAfter === undefined) {
    await openssl(dir, [
      'req', '-new', '-x509', '-config', spec.config, '-extensions', 'v3', ...keyArgs(spec.key), '-keyout', spec.keyPath,
      '-out', spec.certPath, ...subject, '-days', '1', '-set_serial', serial(), '-CA', ca.certPath, '-CAkey', ca.keyPath, `-${md}`,
    ]);
    return;
  }
  const csr = spec.certPath.replace(/\.pem$/, '.csr');
  await openssl(dir, ['req', '-new', '-config', spec.config, ...keyArgs(spec.key), '-keyout', spec.keyPath, '-out', csr, ...subject]);
  const validity = ['-startdate', caDate(spec.notBefore ?? new Date()), '-enddate', caDate(spec.notAfter ?? new Date(Date.now() + 86_400_000))];
  await withCa(ca, () =>
    openssl(dir, [
      'ca', '-batch', '-config', ca.configPath, '-cert', ca.certPath, '-keyfile', ca.keyPath, '-in', csr, '-out', spec.certPath,
      ...subject, '-md', md, ...validity, '-extfile', spec.config, '-extensions', 'v3', '-notext',
    ]),
  );
}

export async function makeCa(dir: string, name: string, options: CaOptions = {}): Promise<OpensslCa> {
  const lines = [
    `basicConstraints = ${options.basicConstraints ?? 'critical, CA:TRUE'}`,
    `keyUsage = ${options.keyUsage ?? 'critical, keyCertSign, cRLSign'}`,
    'subjectKeyIdentifier = hash',
  ];
  if (options.issuer) lines.push('authorityKeyIdentifier = keyid');
  const config = await configFile(dir, name, lines);
  const certPath = path.join(dir, `${name}.pem`);
  const keyPath = path.join(dir, `${name}.key`);
  const cn = options.subjectCn ?? name;
  const configPath = await caConfig(dir, name);
  if (options.issuer) {
    await issue(dir, options.issuer, { config, key: options.key, keyPath, certPath, cn });
  } else {
    await openssl(dir, [
      'req', '-x509', '-config', config, '-extensions', 'v3', ...keyArgs(options.key),
      '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', `/CN=${cn}`, '-set_serial', serial(),
    ]);
  }
  const pair = await readPair(certPath, keyPath);
  const chainPems = options.issuer ? [pair.certPem, ...options.issuer.chainPems] : [];
  return { name, certPath, keyPath, configPath, chainPems, ...pair };
}

export async function issueLeaf(dir: string, ca: OpensslCa, spec: LeafSpec): Promise<Leaf> {
  const config = await configFile(dir, spec.name, leafExtensions(spec, true));
  const certPath = path.join(dir, `${spec.name}.pem`);
  const keyPath = path.join(dir, `${spec.name}.key`);
  await issue(dir, ca, { config, key: spec.key, keyPath, certPath, cn: spec.subjectCn ?? spec.name, md: spec.md, notBefore: spec.notBefore, notAfter: spec.notAfter });
  return { certPath, chainPem: ca.chainPems.join(''), ...(await readPair(certPath, keyPath)) };
}

/** A self-signed client certificate (for pinning, or as a stranger); dates and digest are not supported here. */
export async function selfSigned(dir: string, spec: Omit<LeafSpec, 'md' | 'notBefore' | 'notAfter'>): Promise<Leaf> {
  const config = await configFile(dir, spec.name, leafExtensions(spec, false));
  const certPath = path.join(dir, `${spec.name}.pem`);
  const keyPath = path.join(dir, `${spec.name}.key`);
  await openssl(dir, [
    'req', '-x509', '-config', config, '-extensions', 'v3', ...keyArgs(spec.key),
    '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', `/CN=${spec.subjectCn ?? spec.name}`, '-set_serial', serial(),
  ]);
  return { certPath, chainPem: '', ...(await readPair(certPath, keyPath)) };
}

function leafExtensions(spec: Omit<LeafSpec, 'md' | 'notBefore' | 'notAfter'>, issued: boolean): string[] {
  const lines = [`basicConstraints = ${spec.basicConstraints ?? 'critical, CA:FALSE'}`];
  const keyUsage = spec.keyUsage ?? 'critical, digitalSignature';
  if (keyUsage !== 'absent') lines.push(`keyUsage = ${keyUsage}`);
  if (spec.extendedKeyUsage !== 'absent') lines.push(`extendedKeyUsage = ${spec.extendedKeyUsage}`);
  lines.push(issued ? 'authorityKeyIdentifier = keyid' : 'subjectKeyIdentifier = hash');
  if (spec.subjectAltName !== undefined) lines.push(`subjectAltName = ${spec.subjectAltName}`);
  lines.push(...(spec.extraExtensions ?? []));
  return lines;
}

/** Marks the certificate revoked in the CA's database; the next crl() lists it. */
export function revoke(dir: string, ca: OpensslCa, leaf: Pick<Leaf, 'certPath'>): Promise<void> {
  return withCa(ca, () => openssl(dir, ['ca', '-config', ca.configPath, '-cert', ca.certPath, '-keyfile', ca.keyPath, '-revoke', leaf.certPath]));
}

/** The CA's current CRL, PEM. */
export async function crl(dir: string, ca: OpensslCa): Promise<string> {
  const out = path.join(dir, `${ca.name}.crl`);
  await withCa(ca, () => openssl(dir, ['ca', '-gencrl', '-config', ca.configPath, '-cert', ca.certPath, '-keyfile', ca.keyPath, '-out', out]));
  return readFile(out, 'utf8');
}

/** The same certificate with one bit of its signature flipped: it no longer verifies. */
export function corruptSignature(certPem: string): string {
  const der = Buffer.from(certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  // The signature is the certificate's last field, so its last byte is the certificate's.
  der[der.length - 1] = (der[der.length - 1] ?? 0) ^ 0x01;
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return ['-----BEGIN CERTIFICATE-----', ...lines, '-----END CERTIFICATE-----', ''].join('\n');
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

export interface Pkcs12ExportOptions {
  /** OpenSSL 3's -legacy profile (3DES key bag, RC2-40 certificates, SHA-1 MAC) instead of its default (AES-256, PBKDF2, SHA-256 MAC). */
  legacy?: boolean;
  /** Certificates to add after the leaf (-certfile). */
  chainPath?: string;
  /** Leave the key out (-nokeys): a file of certificates only. */
  noKey?: boolean;
  /** Use this key instead of the certificate's own (a mismatched pair). */
  keyPath?: string;
  /** Key-derivation iterations, for the key and the MAC (OpenSSL's default: 2048). */
  iterations?: number;
}

/** `openssl pkcs12 -export` of a certificate and its key; the password goes through an environment variable, as a careful user's would. */
export async function exportPkcs12(dir: string, name: string, pair: { certPath: string; keyPath: string }, password: string, options: Pkcs12ExportOptions = {}): Promise<string> {
  const out = path.join(dir, `${name}.p12`);
  const args = ['pkcs12', '-export', '-in', pair.certPath, '-out', out, '-passout', 'env:P12_PASSWORD'];
  if (options.noKey) args.push('-nokeys');
  else args.push('-inkey', options.keyPath ?? pair.keyPath);
  if (options.legacy) args.push('-legacy');
  if (options.chainPath) args.push('-certfile', options.chainPath);
  if (options.iterations !== undefined) args.push('-iter', String(options.iterations), '-maciter');
  await run('openssl', args, { cwd: dir, env: { ...process.env, P12_PASSWORD: password } });
  return out;
}

/** What `openssl pkcs12 -info -noout` says of a file (it fails on a wrong password or a broken MAC). */
export async function pkcs12Info(file: string, password: string, legacy = false): Promise<string> {
  const { stdout, stderr } = await run('openssl', ['pkcs12', '-info', '-noout', '-in', file, '-passin', 'env:P12_PASSWORD', ...(legacy ? ['-legacy'] : [])], { env: { ...process.env, P12_PASSWORD: password } });
  return `${stdout}${stderr}`;
}
