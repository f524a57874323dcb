import { isIP } from 'node:net';
import type { Argv } from 'yargs';
import { generatePkiFiles, OverwriteRefusedError, type CertgenOptions, type GeneratedFiles } from '../pki/certgen.js';
import path from 'node:path';
import { InputError } from '../run/inputs.js';
import { p12Password } from '../run/p12-password.js';
import { ExitCode } from './exit-codes.js';
import { spiffeIdProblem } from './spiffe-id.js';

/**
 * `mtlspec certs --out DIR`: a ready mTLS test PKI as PEM files, in place of
 * the openssl ecparam/req/x509 recipes and Go's certgen. Everything the user
 * can fix (a flag, an existing file, an unwritable directory) is thrown as an
 * InputError, which main.ts turns into one line on stderr and exit 2.
 */

export const certsKeyAlgorithms = ['ec-p256', 'ec-p384', 'rsa-2048', 'ed25519'] as const;
export type CertsKeyAlgorithm = (typeof certsKeyAlgorithms)[number];

export interface CertsArguments {
  out: string;
  org: string;
  'ca-name': string;
  'client-name': string;
  'server-name': string;
  days: number;
  hosts: string[];
  /** An empty string leaves the client without a URI SAN. */
  'spiffe-id': string;
  key: CertsKeyAlgorithm;
  force: boolean;
  p12: boolean;
  'p12-password-env': string | undefined;
}

const maxDays = 3650;
const examplePort = 8443;

export function certsOptions(yargs: Argv): Argv<CertsArguments> {
  return yargs
    .option('out', { type: 'string', demandOption: true, describe: 'Directory for the PEM files; created 0700 if missing' })
    .option('org', { type: 'string', default: 'mtlspec', describe: 'O= in every subject' })
    .option('ca-name', { type: 'string', default: 'mtlspec CA', describe: 'CN= of the CA' })
    .option('client-name', { type: 'string', default: 'client', describe: 'CN= of the client certificate' })
    .option('server-name', { type: 'string', default: 'localhost', describe: 'CN= of the server certificate' })
    .option('days', { type: 'number', default: 90, describe: `Validity of every certificate, 1..${maxDays} days` })
    .option('hosts', {
      type: 'array',
      string: true,
      default: ['localhost', '127.0.0.1', '::1'],
      describe: 'DNS names and IP addresses the server certificate names',
    })
    .option('spiffe-id', {
      type: 'string',
      default: 'spiffe://example.org/client',
      describe: 'SPIFFE ID in the client certificate\'s URI SAN; "" for none',
    })
    .option('key', { choices: certsKeyAlgorithms, default: 'ec-p256' as CertsKeyAlgorithm, describe: 'Key algorithm of all three keys' })
    .option('force', { type: 'boolean', default: false, describe: 'Overwrite PEM files already in --out' })
    .option('p12', { type: 'boolean', default: false, describe: 'Also write client.p12: the client key, certificate and CA as PKCS#12' })
    .option('p12-password-env', { type: 'string', describe: "With --p12: the environment variable holding client.p12's password; without it the password is asked on the terminal" })
    .example('$0 certs --out pki', 'CA, server and client PEM files for localhost, 127.0.0.1 and ::1')
    .example('$0 certs --out pki --hosts api.internal 10.0.0.7 --key ec-p384 --days 30', 'A server certificate for your own host, P-384 keys, 30 days')
    .example('$0 certs --out pki --spiffe-id spiffe://prod.example.com/ns/web/sa/frontend', 'A client certificate carrying your workload\'s SPIFFE ID')
    .example('$0 certs --out pki --force', 'Replace an existing set')
    .example('P12_PASS=... $0 certs --out pki --p12 --p12-password-env P12_PASS', 'Also client.p12, for --client-p12 or a browser') as unknown as Argv<CertsArguments>;
}

/** `write` is a parameter so tests can read what the command prints. */
export async function certsCommand(argv: CertsArguments, write = (text: string): void => void process.stdout.write(text)): Promise<number> {
  validateCertsArguments(argv);
  if (argv['p12-password-env'] !== undefined && !argv.p12) throw new InputError('--p12-password-env needs --p12');
  const p12Password = argv.p12 ? await newP12Password(argv) : undefined;
  let files: GeneratedFiles;
  try {
    files = await generatePkiFiles(argv.out, { ...certgenOptionsFrom(argv), ...(p12Password !== undefined ? { p12Password } : {}) });
  } catch (error) {
    throw asInputError(error, argv.out) ?? error;
  }
  write(certsSummary(files, argv).join('\n') + '\n');
  return ExitCode.passed;
}

export function certgenOptionsFrom(argv: CertsArguments): CertgenOptions {
  return {
    org: argv.org,
    caName: argv['ca-name'],
    clientName: argv['client-name'],
    serverName: argv['server-name'],
    days: argv.days,
    hosts: argv.hosts,
    ...(argv['spiffe-id'] === '' ? {} : { spiffeId: argv['spiffe-id'] }),
    key: argv.key,
    overwrite: argv.force,
  };
}

/** client.p12's password, as --client-p12 reads one: never a flag's value. */
async function newP12Password(argv: CertsArguments): Promise<string> {
  const passwordEnv = argv['p12-password-env'];
  const password = await p12Password({ flag: '--p12', file: path.join(argv.out, 'client.p12'), ...(passwordEnv !== undefined ? { passwordEnv } : {}) });
  // OpenSSL reads an empty PKCS#12 password in two ways (empty or absent), so a file made with one may not open.
  if (password === '') throw new InputError('--p12 needs a non-empty password');
  return password;
}

/** What the command prints: the files with their roles, then commands to paste. */
export function certsSummary(files: GeneratedFiles, argv: CertsArguments): string[] {
  const listed = Object.values(files);
  const width = Math.max(...listed.map((file) => file.path.length));
  const q = quoteForShell;
  const url = `https://${urlHost(argv.hosts[0] ?? 'localhost')}:${examplePort}/hello`;
  return [
    `mtlspec: wrote an mTLS test PKI to ${argv.out} (${argv.key} keys, valid ${argv.days} days)`,
    ...listed.map((file) => `  ${file.path.padEnd(width)}  ${file.description}`),
    '',
    'Try it:',
    '  # an openssl test server that demands a client certificate from this CA',
    `  openssl s_server -accept ${examplePort} -www -cert ${q(files.serverCert.path)} -key ${q(files.serverKey.path)} -CAfile ${q(files.caCert.path)} -Verify 1 -verify_return_error -tls1_3`,
    '  # in another terminal, a client presenting client.pem',
    `  curl --http2 --cacert ${q(files.caCert.path)} --cert ${q(files.clientCert.path)} --key ${q(files.clientKey.path)} ${url}`,
    // s_server speaks no HTTP/2, so the run line is for the user's own server.
    '  # mtlspec against your HTTP/2 server on this port, once it trusts ca.pem for clients',
    `  npx mtlspec run --target ${url} --ca-cert ${q(files.caCert.path)} --ca-key ${q(files.caKey.path)} --server-ca ${q(files.caCert.path)}`,
  ];
}

/** Every flag check; each failure is one sentence naming the flag. */
export function validateCertsArguments(argv: CertsArguments): void {
  for (const flag of ['out', 'org', 'ca-name', 'client-name', 'server-name'] as const) {
    if (argv[flag].trim() === '') throw new InputError(`--${flag} must not be empty`);
  }
  if (!Number.isInteger(argv.days) || argv.days < 1 || argv.days > maxDays) {
    throw new InputError(`--days must be a whole number from 1 to ${maxDays} (got ${argv.days})`);
  }
  // A leaf whose subject equals its issuer's looks self-issued to verifiers (RFC 5280 3.3).
  if (argv['ca-name'] === argv['server-name'] || argv['ca-name'] === argv['client-name']) {
    throw new InputError(`--ca-name "${argv['ca-name']}" must differ from --server-name and --client-name, or the leaves look self-issued`);
  }
  validateHosts(argv.hosts);
  if (argv['spiffe-id'] !== '') validateSpiffeId(argv['spiffe-id']);
}

const dnsLabel = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/**
 * DNS names (a leading "*." wildcard allowed) and IP literals. Underscores are
 * let through because container service names use them and TLS stacks accept them.
 */
export function validateHosts(hosts: readonly string[]): void {
  if (hosts.length === 0) throw new InputError('--hosts needs at least one DNS name or IP address for the server certificate');
  for (const host of hosts) {
    if (isIP(host) !== 0) {
      if (host.includes('%')) throw new InputError(`--hosts "${host}": an IPv6 zone (%...) cannot go in a certificate`);
      continue;
    }
    if (host.includes('://')) throw new InputError(`--hosts "${host}" is a URL; give the bare host name${exampleHostOf(host)}`);
    const labels = (host.startsWith('*.') ? host.slice(2) : host).split('.');
    if (host.length > 253 || !labels.every((label) => dnsLabel.test(label))) {
      throw new InputError(`--hosts "${host}" is neither an IP address nor a DNS name`);
    }
  }
}

/**
 * The client certificate names a workload, so beyond the syntax every SPIFFE
 * ID shares (spiffe-id.ts) it needs a path: a bare trust domain names no one.
 */
export function validateSpiffeId(id: string): void {
  const problem = spiffeIdProblem(id) ?? (workloadPathMissing(id) ? missingPathProblem : undefined);
  if (problem !== undefined) throw new InputError(`--spiffe-id "${id}" is not a workload SPIFFE ID: ${problem}`);
}

const missingPathProblem = 'it has no path after the trust domain, e.g. spiffe://example.org/client';

function workloadPathMissing(id: string): boolean {
  return !id.slice('spiffe://'.length).includes('/');
}

/** Errors the user fixes with a flag or on the file system; undefined for everything else (bugs). */
/** A failure to write the PKI folder as one line (exit 2), when it is the folder's fault; `mtlspec serve --pki-dir` shares it. */
export function asInputError(error: unknown, outDir: string): InputError | undefined {
  if (error instanceof OverwriteRefusedError) return new InputError(`${error.file} already exists; pass --force to replace the set`);
  if (error instanceof Error && 'code' in error && typeof error.code === 'string' && fileSystemCodes.has(error.code)) {
    return new InputError(`cannot write the PKI to ${outDir}: ${error.message}`);
  }
  return undefined;
}

// ENOENT: a folder that cannot be made where asked (a path under /proc).
const fileSystemCodes = new Set(['EACCES', 'EPERM', 'ENOTDIR', 'EEXIST', 'EROFS', 'ENOSPC', 'EISDIR', 'ENAMETOOLONG', 'ENOENT']);

function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

function exampleHostOf(url: string): string {
  const hostname = URL.canParse(url) ? new URL(url).hostname : '';
  return hostname === '' ? '' : `, e.g. "${hostname}"`;
}

/** Paths go into commands meant for pasting, so anything unusual is single-quoted. */
function quoteForShell(text: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
