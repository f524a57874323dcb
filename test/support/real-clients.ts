import { existsSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../src/paths.js';
import { ensureCommand, ensurePackage, findCommand } from './ensure-package.js';
import { buildGoProgram } from './go-build.js';

/**
 * Real TLS clients from Debian, each in a correct configuration and with
 * the flaw people actually ship (curl -k, s_client without
 * -verify_return_error, CERT_NONE, InsecureSkipVerify, rejectUnauthorized
 * false), as `mtlspec client --exec` commands. Every one offers TLS 1.3
 * only, as the strict-tls13 profile asks, so the version case judges them.
 * Each is installed (or built) on first use.
 */
export interface RealClient {
  /** Its column in docs/client-detection-matrix.md. */
  readonly name: string;
  /** The --exec command, once the client is installed. */
  command(): Promise<string>;
  /** More flags for `mtlspec client` (the SPIFFE ID the client authorizes). */
  readonly args?: readonly string[];
}

const fixtures = path.join(packageRoot, 'test/fixtures/real-clients');
/** The SPIFFE ID the SPIFFE-authorizing Go client expects of its server. */
export const serverSpiffeId = 'spiffe://example.org/server';

/** Debian's python3 (not a pyenv or venv one that happens to be first on the PATH). */
const debianPython = '/usr/bin/python3';

function curl(flag: string): () => Promise<string> {
  return async () => {
    ensureCommand('curl', 'curl');
    return `${findCommand('curl') ?? 'curl'} -sS --max-time 5 --tlsv1.3 ${flag}--cacert {ca} --cert {cert} --key {key} {url}`;
  };
}

function sClient(flag: string): () => Promise<string> {
  return async () => {
    ensureCommand('openssl', 'openssl');
    // -verify_hostname: without it s_client checks no name at all; -quiet leaves stdin's EOF alone until the server closes.
    return `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | ${findCommand('openssl') ?? 'openssl'} s_client -quiet -tls1_3 -connect {host}:{port} -servername {servername} -verify_hostname {servername} -CAfile {ca} -cert {cert} -key {key}${flag}`;
  };
}

function python(flag: string): () => Promise<string> {
  return async () => {
    ensurePackage('python3', `Debian's ${debianPython}`, () => existsSync(debianPython));
    return `${debianPython} ${path.join(fixtures, 'https_client.py')} --url {url} --ca {ca} --cert {cert} --key {key}${flag}`;
  };
}

let goBinary: Promise<string> | undefined;
/** Built once per test process (about 20 s cold on two cores); start it early, it overlaps the other clients' runs. */
export function buildGoClient(): Promise<string> {
  goBinary ??= buildGoProgram(path.join(fixtures, 'go-client'), 'go-client');
  return goBinary;
}

function go(flags: string): () => Promise<string> {
  return async () => `${await buildGoClient()} ${flags} -url {url} -ca {ca} -cert {cert} -key {key}`;
}

function node(flag: string): () => Promise<string> {
  return async () => `${process.execPath} ${path.join(fixtures, 'tls_client.mjs')} --host {host} --port {port} --servername {servername} --ca {ca} --cert {cert} --key {key}${flag}`;
}

export const realClients: readonly RealClient[] = [
  { name: 'curl', command: curl('') },
  { name: 'curl -k', command: curl('-k ') },
  { name: 's_client -verify_return_error', command: sClient(' -verify_return_error') },
  { name: 's_client', command: sClient('') },
  { name: 'python ssl', command: python('') },
  { name: 'python CERT_NONE', command: python(' --insecure') },
  { name: 'go', command: go('-mode normal') },
  { name: 'go InsecureSkipVerify', command: go('-mode insecure') },
  { name: 'go AuthorizeID', command: go(`-mode spiffe -spiffe-id ${serverSpiffeId}`), args: ['--server-spiffe-id', serverSpiffeId] },
  { name: 'node tls', command: node('') },
  { name: 'node rejectUnauthorized:false', command: node(' --insecure') },
];
