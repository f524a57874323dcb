import { open, rm, stat } from 'node:fs/promises';
import { makeDirs } from '../make-dirs.js';
import { isIP } from 'node:net';
import path from 'node:path';
import { createRootAuthority, signLeaf, type Authority } from './authority.js';
import { generateKey } from './keys.js';
import { writePkcs12 } from './pkcs12.js';
import { durations, validClientTemplate, validServerTemplate, type KeyAlgorithm, type LeafTemplate, type TemplateContext } from './template.js';

/**
 * A ready mTLS test PKI written as PEM files: what people otherwise assemble
 * from a dozen openssl commands. One CA signs one server and one client leaf,
 * all built from the same templates the conformance run uses.
 */

export interface CertgenOptions {
  /** O= of every subject. */
  org: string;
  caName: string;
  clientName: string;
  serverName: string;
  /** Validity of the CA and both leaves, counted from now. */
  days: number;
  /** The server's SANs: DNS names and IP literals, told apart by net.isIP. */
  hosts: string[];
  /** The client leaf's URI SAN; no URI SAN when absent. */
  spiffeId?: string;
  key: KeyAlgorithm;
  /** Replace files already in outDir; without it an existing file is an error. */
  overwrite?: boolean;
  /** Also write client.p12 (client key, certificate and the CA), encrypted with this password. */
  p12Password?: string;
}

export type PkiFileRole = 'caCert' | 'caKey' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey';

export interface GeneratedFile {
  readonly path: string;
  /** One short phrase for a terminal listing: what the file is and what it is for. */
  readonly description: string;
}

/** Keys are in writing order: CA first, then server, then client; client.p12 only when asked for. */
export type GeneratedFiles = Record<PkiFileRole, GeneratedFile> & { clientP12?: GeneratedFile };

const p12FileName = 'client.p12';

/** Thrown before anything is generated, so a refusal never leaves a half-written PKI. */
export class OverwriteRefusedError extends Error {
  constructor(readonly file: string) {
    super(`${file} already exists; pass overwrite (--force) to replace it`);
    this.name = 'OverwriteRefusedError';
  }
}

const fileNames: Record<PkiFileRole, string> = {
  caCert: 'ca.pem',
  caKey: 'ca.key',
  serverCert: 'server.pem',
  serverKey: 'server.key',
  clientCert: 'client.pem',
  clientKey: 'client.key',
};

// Certificates are public; private keys are for the owner alone, whatever the umask.
const certMode = 0o644;
const keyMode = 0o600;

export async function generatePkiFiles(outDir: string, options: CertgenOptions): Promise<GeneratedFiles> {
  const paths = pathsIn(outDir);
  const p12Path = path.join(outDir, p12FileName);
  // Not fs's recursive mkdir: it spins forever on a path under /proc (see make-dirs.ts).
  makeDirs(outDir, 0o700);
  if (!options.overwrite) await refuseExisting([...Object.values(paths), ...(options.p12Password !== undefined ? [p12Path] : [])]);

  const context: TemplateContext = { now: new Date() };
  const validity = validityFor(options.days, context);
  const [ca, serverKey, clientKey] = await Promise.all([
    createRootAuthority(distinguishedName(options.caName, options.org), validity, options.key),
    generateKey(options.key),
    generateKey(options.key),
  ]);
  const server = signLeaf(serverTemplate(options, context), serverKey, ca);
  const client = signLeaf(clientTemplate(options, context), clientKey, ca);

  const contents: Record<PkiFileRole, string> = {
    caCert: ca.certPem,
    caKey: ca.key.privateKeyPem,
    serverCert: server.certPem,
    serverKey: server.keyPem,
    clientCert: client.certPem,
    clientKey: client.keyPem,
  };
  for (const role of Object.keys(fileNames) as PkiFileRole[]) {
    await writeExclusive(paths[role], contents[role], role.endsWith('Key') ? keyMode : certMode, options.overwrite === true);
  }
  const files = describeFiles(paths, options, ca);
  if (options.p12Password === undefined) return files;
  // The same client credential as client.pem and client.key, for tools that import PKCS#12 (browsers, Java, Windows).
  const p12 = writePkcs12({ certPem: client.certPem, keyPem: client.keyPem, chainPems: [ca.certPem], password: options.p12Password, friendlyName: options.clientName });
  await writeExclusive(p12Path, p12, keyMode, options.overwrite === true);
  return { ...files, clientP12: { path: p12Path, description: 'client key, certificate and CA as PKCS#12 (password from --p12-password-env or the prompt)' } };
}

/** Splits host arguments into the SAN kinds X.509 keeps apart. */
export function splitHosts(hosts: readonly string[]): { dnsNames: string[]; ipAddresses: string[] } {
  return {
    dnsNames: hosts.filter((host) => isIP(host) === 0),
    ipAddresses: hosts.filter((host) => isIP(host) !== 0),
  };
}

/** "CN=<name>, O=<org>" with RFC 4514 escaping, so an org like "Acme, Inc." stays one attribute. */
export function distinguishedName(commonName: string, org: string): string {
  return `CN=${escapeDnValue(commonName)}, O=${escapeDnValue(org)}`;
}

function escapeDnValue(value: string): string {
  return value
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ');
}

function pathsIn(outDir: string): Record<PkiFileRole, string> {
  const entries = Object.entries(fileNames).map(([role, name]) => [role, path.join(outDir, name)]);
  return Object.fromEntries(entries) as Record<PkiFileRole, string>;
}

async function refuseExisting(files: readonly string[]): Promise<void> {
  for (const file of files) {
    const exists = await stat(file).then(() => true, () => false);
    if (exists) throw new OverwriteRefusedError(file);
  }
}

/** Backdated one hour, like the run's templates, so clock skew never makes a fresh file "not yet valid". */
function validityFor(days: number, context: TemplateContext): { notBefore: Date; notAfter: Date } {
  return {
    notBefore: new Date(context.now.getTime() - durations.hour),
    notAfter: new Date(context.now.getTime() + days * durations.day),
  };
}

function serverTemplate(options: CertgenOptions, context: TemplateContext): LeafTemplate {
  return {
    ...validServerTemplate(splitHosts(options.hosts), context),
    ...validityFor(options.days, context),
    subject: distinguishedName(options.serverName, options.org),
    key: options.key,
  };
}

function clientTemplate(options: CertgenOptions, context: TemplateContext): LeafTemplate {
  return {
    ...validClientTemplate(options.spiffeId ?? '', context),
    ...validityFor(options.days, context),
    subject: distinguishedName(options.clientName, options.org),
    key: options.key,
    // The run's template always carries a SPIFFE ID; here it is optional, for non-SPIFFE setups.
    uris: options.spiffeId ? [options.spiffeId] : [],
  };
}

/**
 * Creates the file afresh (O_EXCL) and sets its mode before any byte lands: an
 * overwritten file is removed first, so a key never inherits an old file's
 * looser mode, and a restrictive umask never changes what the docs promise.
 */
async function writeExclusive(file: string, contents: string | Buffer, mode: number, overwrite: boolean): Promise<void> {
  if (overwrite) await rm(file, { force: true });
  const handle = await open(file, 'wx', mode).catch((error: unknown) => {
    throw isAlreadyExists(error) ? new OverwriteRefusedError(file) : error;
  });
  try {
    await handle.chmod(mode);
    await handle.writeFile(contents);
  } finally {
    await handle.close();
  }
}

function isAlreadyExists(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'EEXIST';
}

function describeFiles(paths: Record<PkiFileRole, string>, options: CertgenOptions, ca: Authority): GeneratedFiles {
  const server = sanList(options.hosts);
  const client = options.spiffeId ? `, URI:${options.spiffeId}` : '';
  return {
    caCert: { path: paths.caCert, description: `CA certificate (${ca.name}): the trust anchor for both sides` },
    caKey: { path: paths.caKey, description: 'CA private key: signs further leaves; never install it on a server' },
    serverCert: { path: paths.serverCert, description: `server certificate, serverAuth, ${server}` },
    serverKey: { path: paths.serverKey, description: 'server private key' },
    clientCert: { path: paths.clientCert, description: `client certificate, clientAuth${client}` },
    clientKey: { path: paths.clientKey, description: 'client private key' },
  };
}

function sanList(hosts: readonly string[]): string {
  return hosts.map((host) => (isIP(host) === 0 ? `DNS:${host}` : `IP:${host}`)).join(', ');
}
