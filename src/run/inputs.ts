import path from 'node:path';
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { Authority } from '../pki/authority.js';
import { importAuthority } from '../pki/import.js';
import type { ClientCredential } from '../probe/probe.js';
import { InputFileError, readInputFile } from './read-input.js';
import type { CredentialSource } from './settings.js';

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
  if (source.kind === 'ca') {
    const cert = readCertificate(source.certFile, '--ca-cert');
    const key = readPrivateKey(source.keyFile, '--ca-key');
    assertKeyMatches(cert.x509, key, '--ca-key', source.keyFile, '--ca-cert', source.certFile);
    if (!cert.x509.ca) throw new InputError(`--ca-cert ${source.certFile} is not a CA certificate (basicConstraints CA:TRUE is missing), so it cannot issue client certificates`);
    try {
      return { kind: 'ca', authority: await importAuthority(cert.pem, key.pem) };
    } catch (error) {
      throw new InputError(`--ca-key ${source.keyFile} cannot sign: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const cert = readCertificate(source.certFile, '--client-cert');
  const key = readPrivateKey(source.keyFile, '--client-key');
  assertKeyMatches(cert.x509, key, '--client-key', source.keyFile, '--client-cert', source.certFile);
  return { kind: 'client', credential: { certPem: cert.pem, chainPems: cert.chainPems, keyPem: key.pem }, certificate: cert.x509 };
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
const readOnce = new Map<string, string>();

/** The text of a file the user named with `flag`; every reason it cannot be read is an InputError (exit 2). */
export function readInputText(file: string, flag: string): string {
  const key = path.resolve(file);
  let text = readOnce.get(key);
  if (text === undefined) {
    try {
      text = readInputFile(file);
    } catch (error) {
      if (error instanceof InputFileError) throw new InputError(`${flag} ${file} ${error.message}`);
      throw error;
    }
    readOnce.set(key, text);
  }
  return text;
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
