import path from 'node:path';
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { Authority } from '../pki/authority.js';
import { importAuthority } from '../pki/import.js';
import type { ClientCredential } from '../probe/probe.js';
import { InputFileError, readInputBytes } from './read-input.js';
import { readPkcs12, Pkcs12Error, type Pkcs12Contents } from '../pki/pkcs12.js';
import { p12Password } from './p12-password.js';
import type { CredentialSource, Pkcs12CredentialSource } from './settings.js';

/** A problem with what the user handed us: one sentence, exit code 2. */
export class InputError extends Error {}

export type LoadedCredentials =
  | { kind: 'ca'; authority: Authority }
  | { kind: 'client'; credential: ClientCredential; certificate: X509Certificate };

/**
 * Reads and checks the user's PEM files before anything touches the network:
 * each file exists and holds what its flag says, keys match certificates, a
 * CA certificate is a CA. Every failure is one sentence naming the flag and
 * the file; the key's contents never appear in a message.
 */
export async function loadCredentials(source: CredentialSource): Promise<LoadedCredentials> {
  if ('p12File' in source) return loadPkcs12Credentials(source);
  if (source.kind === 'ca') {
    const cert = readCertificate(source.certFile, '--ca-cert');
    const key = readPrivateKey(source.keyFile, '--ca-key');
    assertKeyMatches(cert.x509, key, '--ca-key', source.keyFile, '--ca-cert', source.certFile);
    return { kind: 'ca', authority: await importCa(cert.x509, cert.pem, key.pem, `--ca-cert ${source.certFile}`, `--ca-key ${source.keyFile}`) };
  }
  const cert = readCertificate(source.certFile, '--client-cert');
  const key = readPrivateKey(source.keyFile, '--client-key');
  assertKeyMatches(cert.x509, key, '--client-key', source.keyFile, '--client-cert', source.certFile);
  return { kind: 'client', credential: { certPem: cert.pem, chainPems: cert.chainPems, keyPem: key.pem }, certificate: cert.x509 };
}

async function importCa(x509: X509Certificate, certPem: string, keyPem: string, certNamed: string, keyNamed: string): Promise<Authority> {
  if (!x509.ca) throw new InputError(`${certNamed} is not a CA certificate (basicConstraints CA:TRUE is missing), so it cannot issue client certificates`);
  try {
    return await importAuthority(certPem, keyPem);
  } catch (error) {
    throw new InputError(`${keyNamed} cannot sign: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A credential from a PKCS#12 file: the key and the certificate that matches it, the other certificates as its chain. */
async function loadPkcs12Credentials(source: Pkcs12CredentialSource): Promise<LoadedCredentials> {
  const flag = source.kind === 'ca' ? '--ca-p12' : '--client-p12';
  const bytes = readInputBytesOnce(source.p12File, flag);
  const password = await p12Password({ flag, file: source.p12File, ...(source.passwordEnv !== undefined ? { passwordEnv: source.passwordEnv } : {}) });
  let contents: Pkcs12Contents;
  try {
    contents = readPkcs12(bytes, password);
  } catch (error) {
    if (error instanceof Pkcs12Error) throw new InputError(`${flag} ${source.p12File} ${error.message}`);
    throw error;
  }
  const named = `${flag} ${source.p12File}`;
  if (source.kind === 'ca') return { kind: 'ca', authority: await importCa(contents.certificate, contents.certPem, contents.keyPem, named, named) };
  return {
    kind: 'client',
    // A root in the file is not sent: the server has it, and a chain ends below it.
    credential: { certPem: contents.certPem, chainPems: contents.otherPems.filter((pem) => !isSelfSigned(pem)), keyPem: contents.keyPem },
    certificate: contents.certificate,
  };
}

function isSelfSigned(pem: string): boolean {
  const cert = new X509Certificate(pem);
  return cert.subject === cert.issuer && cert.checkIssued(cert);
}

/** Reads a PEM bundle of CA certificates (for --server-ca). */
export function readCaBundle(file: string, flag: string): string {
  return readCertificate(file, flag).allPems;
}

/**
 * Each input file's text, read once per process: the CLI checks the files
 * before the run, and the run reads them again; a pipe or a process
 * substitution (`--ca-key <(vault read ...)`) can be read only once.
 */
const readOnce = new Map<string, Buffer>();

/** The text of a file the user named with `flag`; every reason it cannot be read is an InputError (exit 2). */
export function readInputText(file: string, flag: string): string {
  return readInputBytesOnce(file, flag).toString('utf8');
}

/** The bytes of a file the user named with `flag` (a PKCS#12 file is binary), read once per process. */
export function readInputBytesOnce(file: string, flag: string): Buffer {
  const key = path.resolve(file);
  let bytes = readOnce.get(key);
  if (bytes === undefined) {
    try {
      bytes = readInputBytes(file);
    } catch (error) {
      if (error instanceof InputFileError) throw new InputError(`${flag} ${file} ${error.message}`);
      throw error;
    }
    readOnce.set(key, bytes);
  }
  return bytes;
}

interface ReadCertificate {
  x509: X509Certificate;
  pem: string;
  /** Certificates after the first in the file: intermediates sent with the leaf. */
  chainPems: string[];
  allPems: string;
}

function readCertificate(file: string, flag: string): ReadCertificate {
  const text = readInputText(file, flag);
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const [first, ...rest] = pems;
  if (!first) {
    const hint = /PRIVATE KEY-----/.test(text) ? ' (it holds a private key: swapped flags?)' : '';
    throw new InputError(`${flag} ${file} holds no PEM certificate${hint}`);
  }
  try {
    return { x509: new X509Certificate(first), pem: `${first}\n`, chainPems: rest.map((p) => `${p}\n`), allPems: pems.map((p) => `${p}\n`).join('') };
  } catch {
    throw new InputError(`${flag} ${file} holds a certificate that does not parse`);
  }
}

function readPrivateKey(file: string, flag: string): { key: KeyObject; pem: string } {
  const text = readInputText(file, flag);
  if (!/-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(text)) {
    const hint = /BEGIN CERTIFICATE/.test(text) ? ' (it holds a certificate: swapped flags?)' : /ENCRYPTED PRIVATE KEY/.test(text) ? ' (it is encrypted; decrypt it first)' : '';
    throw new InputError(`${flag} ${file} holds no PEM private key${hint}`);
  }
  try {
    return { key: createPrivateKey(text), pem: text };
  } catch {
    // Deliberately not the parser's message: it could quote the key.
    throw new InputError(`${flag} ${file} holds a private key that does not parse (or is encrypted)`);
  }
}

function assertKeyMatches(cert: X509Certificate, key: { key: KeyObject }, keyFlag: string, keyFile: string, certFlag: string, certFile: string): void {
  const fromKey = createPublicKey(key.key).export({ format: 'der', type: 'spki' });
  const fromCert = cert.publicKey.export({ format: 'der', type: 'spki' });
  if (!fromKey.equals(fromCert)) {
    throw new InputError(`${keyFlag} ${keyFile} does not match ${certFlag} ${certFile} (their public keys differ)`);
  }
}
