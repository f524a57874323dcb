import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Argv } from 'yargs';
import { generatePkiFiles } from '../pki/certgen.js';
import { signalExitCode, stopGracefullyOn } from '../exit-cleanup.js';
import { PrivateDir, sweepAbandonedPrivateDirs } from '../pki/private-dir.js';
import { InputError } from '../run/inputs.js';
import { defaultClientSpiffeId, referenceTokenAudience, referenceTokenIssuer } from '../run/settings.js';
import { allServerFlaws, type ServerFlaw } from '../servers/types.js';
import { allTokenFlaws, isTokenFlaw, type TokenFlaw, type TokenPolicy } from '../token/verifier.js';
import { generateSigningKey } from '../token/keys.js';
import { protocolLabels, type Protocol } from '../target/target.js';
import { spiffeIdProblem } from './spiffe-id.js';
import { asInputError } from './certs-command.js';
import { proxyHeaderPolicies, type ProxyHeaderPolicy } from '../proxy/terminating-proxy.js';
import { maxReplicas } from '../proxy/replicas.js';
import { setupProblem, startServedSetup } from '../proxy/served-setups.js';

export interface ServeArguments {
  protocol: Protocol;
  host: string;
  port: number;
  'pki-dir': string | undefined;
  'spiffe-id': string;
  flaw: Array<ServerFlaw | TokenFlaw>;
  auth: 'none' | 'jwt';
  replicas: number;
  'flawed-replicas': number | undefined;
  'proxy-headers': ProxyHeaderPolicy | undefined;
}

export function serveOptions(yargs: Argv): Argv<ServeArguments> {
  return yargs
    .positional('protocol', { choices: ['grpc', 'http2', 'tls'] as const, demandOption: true, describe: 'Which reference server' })
    .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' })
    .option('port', { type: 'number', default: 0, describe: 'Port to listen on; 0 picks a free one' })
    .option('pki-dir', { type: 'string', describe: 'Keep the PKI (CA, server and client PEMs) in this folder; default: a private temp folder removed on exit' })
    .option('spiffe-id', { type: 'string', default: defaultClientSpiffeId, describe: 'The client SPIFFE ID the server authorizes (and the one in client.pem)' })
    .option('flaw', { type: 'array', choices: [...allServerFlaws, ...allTokenFlaws], default: [] as ServerFlaw[], describe: 'Switch on a deliberate flaw, to see a failing run (jwt-* flaws need --auth jwt)' })
    .option('auth', {
      choices: ['none', 'jwt'] as const,
      default: 'none' as const,
      describe: 'grpc and http2: jwt also requires a bearer token bound to the client certificate (RFC 8705), signed by an issuer key written with the PKI',
    })
    .option('replicas', { type: 'number', default: 1, describe: `Run N replicas behind HAProxy in mode tcp, round robin (2..${maxReplicas}; needs the haproxy package): a service behind a layer-4 balancer` })
    .option('flawed-replicas', { type: 'number', describe: 'With --replicas and --flaw: only the first K replicas carry the flaws (default: all)' })
    .option('proxy-headers', { choices: proxyHeaderPolicies, describe: 'http2: HAProxy in mode http terminates mTLS in front of a plain backend that trusts X-SSL-Client-Cert; overwrites (correct) or appends (flawed) the client\'s own copy' })
    .example('$0 serve http2', 'An HTTP/2 /hello server behind mTLS; prints its URL and PKI')
    .example('$0 serve grpc --port 50051 --pki-dir ./pki', 'The DemoService gRPC server on a fixed port, PKI kept in ./pki')
    .example('$0 serve grpc --auth jwt', 'The gRPC server requiring mTLS plus a certificate-bound JWT (the seed\'s gRPC + mTLS + JWT setup)')
    .example('$0 serve tls --flaw accept-any-cert', 'A raw-TLS server that wrongly accepts any client certificate')
    .example('$0 serve http2 --replicas 3 --flaw accept-any-cert --flawed-replicas 1', 'Three HTTP/2 replicas behind HAProxy, one of which accepts any client certificate')
    .example('$0 serve http2 --proxy-headers appends', 'A TLS-terminating HAProxy that passes a forged X-SSL-Client-Cert on to its backend') as unknown as Argv<ServeArguments>;
}

/**
 * Runs one reference server until Ctrl-C, so people can point their own
 * clients (or mtlspec run --target) at a server whose behaviour is known.
 */
export async function serveCommand(argv: ServeArguments, write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Promise<number> {
  const problem = spiffeIdProblem(argv['spiffe-id']);
  if (problem) throw new InputError(`--spiffe-id "${argv['spiffe-id']}" is not a SPIFFE ID: ${problem}`);
  if (!Number.isInteger(argv.port) || argv.port < 0 || argv.port > 65535) throw new InputError(`--port must be 0..65535 (got ${argv.port})`);
  const tokenFlaws = argv.flaw.filter(isTokenFlaw);
  if (argv.auth === 'jwt' && argv.protocol === 'tls') throw new InputError('--auth jwt needs grpc or http2: tokens travel in a request header, and raw TLS has none');
  if (tokenFlaws.length > 0 && argv.auth !== 'jwt') throw new InputError(`--flaw ${tokenFlaws[0]} needs --auth jwt`);
  const choice = { replicas: argv.replicas, flawedReplicas: argv['flawed-replicas'], proxyHeaders: argv['proxy-headers'], hasFlaws: argv.flaw.length > tokenFlaws.length, protocol: argv.protocol, auth: argv.auth };
  const setupMistake = setupProblem(choice);
  if (setupMistake) throw new InputError(setupMistake);

  sweepAbandonedPrivateDirs();
  // Asked for before the PKI exists: a signal from here on stops the server cleanly and removes its private folder.
  const stopped = new Promise<NodeJS.Signals>((resolve) => stopGracefullyOn(resolve));
  const privateDir = argv['pki-dir'] ? undefined : new PrivateDir('mtlspec-serve-');
  const dir = argv['pki-dir'] ?? privateDir?.path ?? '';
  const files = await generatePkiFiles(dir, {
    org: 'mtlspec',
    caName: 'mtlspec serve CA',
    clientName: 'client',
    serverName: 'localhost',
    days: 7,
    hosts: [...new Set(['localhost', '127.0.0.1', '::1', argv.host])],
    spiffeId: argv['spiffe-id'],
    key: 'ec-p256',
    overwrite: true,
  }).catch((error: unknown) => {
    throw asInputError(error, dir) ?? error;
  });
  const read = (file: string): string => readFileSync(file, 'utf8');
  const token = argv.auth === 'jwt' ? await writeTokenIssuer(dir, tokenFlaws) : undefined;
  // Loaded here: every other command would pay for grpc-js at start-up otherwise.
  const { startReferenceServer } = await import('../servers/index.js');
  const serverOptions = {
    clientCaPem: read(files.caCert.path),
    certPem: read(files.serverCert.path),
    keyPem: read(files.serverKey.path),
    allowedSpiffeIds: [argv['spiffe-id']],
    flaws: argv.flaw.filter((flaw): flaw is ServerFlaw => !isTokenFlaw(flaw)),
    host: argv.host,
    port: argv.port,
    ...(token ? { token } : {}),
  };
  // Behind HAProxy when asked (--replicas, --proxy-headers): the setup starts its own servers.
  const setup = await startServedSetup(choice, { ...serverOptions, caKeyPem: read(files.caKey.path), hosts: ['localhost', '127.0.0.1', '::1', argv.host] });
  const server = setup?.server ?? (await startReferenceServer(argv.protocol, serverOptions));

  const flaws = argv.flaw.length > 0 ? ` (flawed: ${argv.flaw.join(', ')}${setup?.flawNote ?? ''})` : '';
  const p = (name: string): string => path.join(dir, name);
  write(`mtlspec: reference ${protocolLabels[argv.protocol]} server listening on ${server.url}${flaws}`);
  for (const line of setup?.lines ?? []) write(line);
  write(`  PKI in ${dir}${privateDir ? ' (removed when the server stops)' : ''}:`);
  for (const file of Object.values(files)) write(`    ${path.basename(file.path).padEnd(11)} ${file.description}`);
  if (token) {
    write(`    ${issuerKeyFile.padEnd(11)} the token issuer's private key (ES256): mint tokens with it (iss ${referenceTokenIssuer}, aud ${referenceTokenAudience}, cnf bound to the client certificate)`);
    write(`    ${jwksFile.padEnd(11)} the issuer's public key set the server verifies with`);
  }
  write('  Try it:');
  const send = argv.protocol === 'tls' ? ' --send "Hello server\\n"' : '';
  const jwt = token ? ` --jwt-key ${p(issuerKeyFile)} --jwt-iss ${referenceTokenIssuer} --jwt-aud ${referenceTokenAudience} --jwt-bound` : '';
  write(`    npx mtlspec run --target ${server.url} --ca-cert ${p('ca.pem')} --ca-key ${p('ca.key')} --server-ca ${p('ca.pem')} --spiffe-id ${argv['spiffe-id']}${send}${setup?.runFlags ?? ''}${jwt}`);
  if (argv.protocol === 'http2' && !token) write(`    curl --http2 --cacert ${p('ca.pem')} --cert ${p('client.pem')} --key ${p('client.key')} ${server.url}`);
  if (argv.protocol === 'tls') write(`    echo "Hello server" | openssl s_client -quiet -connect ${server.host}:${server.port} -CAfile ${p('ca.pem')} -cert ${p('client.pem')} -key ${p('client.key')}`);
  if (argv.protocol === 'grpc' && !token) write(`    grpcurl -cacert ${p('ca.pem')} -cert ${p('client.pem')} -key ${p('client.key')} -proto proto/demo.proto -d '{"name":"you","age":30}' localhost:${server.port} mtlspec.demo.DemoService/SayHello`);
  write('  Ctrl-C stops it.');

  const signal = await stopped;
  // A second signal while closing ends the process at once (exit-cleanup.ts), the private folder removed all the same.
  await server.close();
  privateDir?.remove();
  write(`mtlspec: stopped (${signal})`);
  return signalExitCode(signal);
}

const issuerKeyFile = 'jwt-issuer.key';
const jwksFile = 'jwks.json';

/** A token issuer for the server: its key beside the PKI (0600, like the others), its JWKS, and the policy the server verifies with. */
async function writeTokenIssuer(dir: string, flaws: readonly TokenFlaw[]): Promise<TokenPolicy> {
  const issuer = await generateSigningKey();
  writeFileSync(path.join(dir, issuerKeyFile), issuer.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
  const jwks = { keys: [issuer.publicJwk] };
  writeFileSync(path.join(dir, jwksFile), `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o644 });
  return { jwks, issuerPublicPem: issuer.publicPem, issuer: referenceTokenIssuer, audience: referenceTokenAudience, requireBinding: true, skewSeconds: 30, flaws };
}
