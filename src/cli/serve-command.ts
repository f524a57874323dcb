import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Argv } from 'yargs';
import { generatePkiFiles } from '../pki/certgen.js';
import { signalExitCode, stopGracefullyOn } from '../exit-cleanup.js';
import { PrivateDir, sweepAbandonedPrivateDirs } from '../pki/private-dir.js';
import { InputError } from '../run/inputs.js';
import { defaultClientSpiffeId } from '../run/settings.js';
import { allServerFlaws, type ServerFlaw } from '../servers/types.js';
import { protocolLabels, type Protocol } from '../target/target.js';
import { spiffeIdProblem } from './spiffe-id.js';
import { proxyHeaderPolicies, type ProxyHeaderPolicy } from '../proxy/terminating-proxy.js';
import { maxReplicas } from '../proxy/replicas.js';
import { setupProblem, startServedSetup } from '../proxy/served-setups.js';

export interface ServeArguments {
  protocol: Protocol;
  host: string;
  port: number;
  'pki-dir': string | undefined;
  'spiffe-id': string;
  flaw: ServerFlaw[];
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
    .option('flaw', { type: 'array', choices: allServerFlaws, default: [] as ServerFlaw[], describe: 'Switch on a deliberate flaw, to see a failing run' })
    .option('replicas', { type: 'number', default: 1, describe: `Run N replicas behind HAProxy in mode tcp, round robin (2..${maxReplicas}; needs the haproxy package): a service behind a layer-4 balancer` })
    .option('flawed-replicas', { type: 'number', describe: 'With --replicas and --flaw: only the first K replicas carry the flaws (default: all)' })
    .option('proxy-headers', { choices: proxyHeaderPolicies, describe: 'http2: HAProxy in mode http terminates mTLS in front of a plain backend that trusts X-SSL-Client-Cert; overwrites (correct) or appends (flawed) the client\'s own copy' })
    .example('$0 serve http2', 'An HTTP/2 /hello server behind mTLS; prints its URL and PKI')
    .example('$0 serve grpc --port 50051 --pki-dir ./pki', 'The DemoService gRPC server on a fixed port, PKI kept in ./pki')
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
  const choice = { replicas: argv.replicas, flawedReplicas: argv['flawed-replicas'], proxyHeaders: argv['proxy-headers'], hasFlaws: argv.flaw.length > 0, protocol: argv.protocol };
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
  });
  const read = (file: string): string => readFileSync(file, 'utf8');
  // Loaded here: every other command would pay for grpc-js at start-up otherwise.
  const { startReferenceServer } = await import('../servers/index.js');
  const serverOptions = {
    clientCaPem: read(files.caCert.path),
    certPem: read(files.serverCert.path),
    keyPem: read(files.serverKey.path),
    allowedSpiffeIds: [argv['spiffe-id']],
    flaws: argv.flaw,
    host: argv.host,
    port: argv.port,
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
  write('  Try it:');
  const send = argv.protocol === 'tls' ? ' --send "Hello server\\n"' : '';
  write(`    npx mtlspec run --target ${server.url} --ca-cert ${p('ca.pem')} --ca-key ${p('ca.key')} --server-ca ${p('ca.pem')} --spiffe-id ${argv['spiffe-id']}${send}${setup?.runFlags ?? ''}`);
  if (argv.protocol === 'http2') write(`    curl --http2 --cacert ${p('ca.pem')} --cert ${p('client.pem')} --key ${p('client.key')} ${server.url}`);
  if (argv.protocol === 'tls') write(`    echo "Hello server" | openssl s_client -quiet -connect ${server.host}:${server.port} -CAfile ${p('ca.pem')} -cert ${p('client.pem')} -key ${p('client.key')}`);
  if (argv.protocol === 'grpc') write(`    grpcurl -cacert ${p('ca.pem')} -cert ${p('client.pem')} -key ${p('client.key')} -proto proto/demo.proto -d '{"name":"you","age":30}' localhost:${server.port} mtlspec.demo.DemoService/SayHello`);
  write('  Ctrl-C stops it.');

  const signal = await stopped;
  // A second signal while closing ends the process at once (exit-cleanup.ts), the private folder removed all the same.
  await server.close();
  privateDir?.remove();
  write(`mtlspec: stopped (${signal})`);
  return signalExitCode(signal);
}
