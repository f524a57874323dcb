/**
 * In-process micro-benchmarks, printed as one JSON object on stdout:
 *
 *   node dist/bench/micro.js pki
 *     createRunPki (what every run does first), key generation per algorithm,
 *     and pki.issue(validClientTemplate()) many times: ms per leaf.
 *
 *   node dist/bench/micro.js probe --url https://127.0.0.1:PORT/hello --pki-dir DIR
 *     against a server started with `mtlspec serve http2 --pki-dir DIR` (in
 *     another process, so only the client's side is timed here): a bare
 *     tls.connect TLS 1.3 handshake, a bare node:http2 GET (the least a client
 *     must do to see the answer), and mtlspec's probe(), interleaved, one at a
 *     time as the suite runs them; and the same for a client without a
 *     certificate (a refusal, which is what most scenarios observe).
 */
import http2 from 'node:http2';
import tls from 'node:tls';
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRunPki, loopbackHosts } from '../src/pki/index.js';
import { generateKey } from '../src/pki/keys.js';
import type { KeyAlgorithm } from '../src/pki/template.js';
import { probe, type ClientCredential } from '../src/probe/index.js';
import { parseTargetUrl, type Target } from '../src/target/target.js';
import { round, summarize, type Summary } from './stats.js';

const clientSpiffeId = 'spiffe://example.org/client';

async function timed(operation: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await operation();
  return performance.now() - started;
}

async function series(times: number, operation: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) samples.push(await timed(operation));
  return samples;
}

export interface PkiBench {
  readonly createRunPkiMs: Summary;
  readonly keygenMs: Record<string, Summary>;
  readonly leaf: { readonly perLeafMs: number; readonly medianMs: number; readonly firstMs: number; readonly leaves: number };
}

async function pkiBench(): Promise<PkiBench> {
  const startups: number[] = [];
  let pki: Awaited<ReturnType<typeof createRunPki>> | undefined;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    pki = await createRunPki({ clientSpiffeId, trustedCa: 'generate', serverHosts: loopbackHosts });
    startups.push(performance.now() - started);
  }
  if (!pki) throw new Error('no PKI');

  const keygenMs: Record<string, Summary> = {};
  const keyRuns: ReadonlyArray<[KeyAlgorithm, number]> = [['ec-p256', 20], ['ec-p384', 10], ['ed25519', 20], ['rsa-2048', 5]];
  for (const [algorithm, times] of keyRuns) keygenMs[algorithm] = summarize(await series(times, () => generateKey(algorithm)));

  const issuer = pki;
  const firstMs = await timed(() => issuer.issue(issuer.validClientTemplate()));
  await series(20, () => issuer.issue(issuer.validClientTemplate())); // warm-up
  const leaves = 300;
  const started = performance.now();
  const samples = await series(leaves, () => issuer.issue(issuer.validClientTemplate()));
  const perLeafMs = (performance.now() - started) / leaves;
  return {
    createRunPkiMs: summarize(startups),
    keygenMs,
    leaf: { perLeafMs: round(perLeafMs), medianMs: summarize(samples).median, firstMs: round(firstMs), leaves },
  };
}

export interface ProbeBench {
  readonly perOpMs: Record<string, Summary>;
  /** probe() over a bare handshake and over a bare HTTP/2 GET, with and without a certificate. */
  readonly ratios: Record<string, number>;
  readonly opsPerKind: number;
}

interface Client {
  readonly target: Target;
  readonly caPem: string;
  readonly credential: ClientCredential;
}

function tlsOptions(client: Client, withCert: boolean): tls.ConnectionOptions {
  const { target } = client;
  return {
    host: target.host,
    port: target.port,
    ...(isIP(target.servername) ? {} : { servername: target.servername }),
    ca: client.caPem,
    ...(withCert ? { cert: client.credential.certPem, key: client.credential.keyPem } : {}),
    ALPNProtocols: ['h2'],
    minVersion: 'TLSv1.3',
  };
}

/** TLS 1.3 only, up to the client's secureConnect; the server judges the certificate after that. */
function bareHandshake(client: Client): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(tlsOptions(client, true));
    socket.once('secureConnect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

/**
 * The least a client must do to see the server's answer: handshake, GET,
 * read to the end. Resolves with the status, or 'refused' when the server
 * closes or fails the session instead of answering.
 */
function bareHttp2Get(client: Client, withCert: boolean): Promise<number | 'refused'> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: number | 'refused'): void => {
      if (settled) return;
      settled = true;
      session.destroy();
      resolve(result);
    };
    const session = http2.connect(`https://${client.target.host}:${client.target.port}`, {
      createConnection: () => tls.connect(tlsOptions(client, withCert)),
    });
    session.on('error', () => done('refused'));
    session.on('close', () => done('refused'));
    const request = session.request({ ':path': client.target.path || '/' });
    let status = 0;
    request.on('response', (headers) => (status = Number(headers[':status'])));
    request.on('data', () => undefined);
    request.on('end', () => done(status));
    request.on('error', () => done('refused'));
  });
}

async function mtlspecProbe(client: Client, withCert: boolean): Promise<string> {
  const outcome = await probe({ target: client.target, credential: withCert ? client.credential : undefined, serverCaPem: client.caPem, timeoutMs: 5000 });
  return outcome.kind;
}

async function expect(what: string, actual: Promise<unknown>, wanted: unknown): Promise<void> {
  const got = await actual;
  if (got !== wanted) throw new Error(`${what}: expected ${String(wanted)}, got ${String(got)}`);
}

async function probeBench(url: string, pkiDir: string): Promise<ProbeBench> {
  const read = (name: string): string => readFileSync(path.join(pkiDir, name), 'utf8');
  const client: Client = {
    target: parseTargetUrl(url),
    caPem: read('ca.pem'),
    credential: { certPem: read('client.pem'), chainPems: [], keyPem: read('client.key') },
  };
  const kinds: Record<string, () => Promise<unknown>> = {
    'bare TLS 1.3 handshake': () => bareHandshake(client),
    'bare HTTP/2 GET (valid cert)': () => expect('bare GET', bareHttp2Get(client, true), 200),
    'mtlspec probe() (valid cert)': () => expect('probe', mtlspecProbe(client, true), 'accepted'),
    'bare HTTP/2 GET (no cert, refused)': () => expect('bare GET without a certificate', bareHttp2Get(client, false), 'refused'),
    'mtlspec probe() (no cert, refused)': () => expect('probe without a certificate', mtlspecProbe(client, false), 'rejected'),
  };
  const samples: Record<string, number[]> = {};
  for (const [name, operation] of Object.entries(kinds)) {
    samples[name] = [];
    await series(10, operation); // warm-up, and a check that each does what it says
  }
  const rounds = 10;
  const perRound = 10;
  for (let round = 0; round < rounds; round++) {
    for (const [name, operation] of Object.entries(kinds)) samples[name]?.push(...(await series(perRound, operation)));
  }
  const perOpMs: Record<string, Summary> = {};
  for (const [name, values] of Object.entries(samples)) perOpMs[name] = summarize(values);
  const m = (name: string): number => perOpMs[name]?.median ?? Number.NaN;
  return {
    perOpMs,
    ratios: {
      'probe / bare handshake': round(m('mtlspec probe() (valid cert)') / m('bare TLS 1.3 handshake'), 2),
      'probe / bare HTTP/2 GET': round(m('mtlspec probe() (valid cert)') / m('bare HTTP/2 GET (valid cert)'), 2),
      'refused probe / refused bare GET': round(m('mtlspec probe() (no cert, refused)') / m('bare HTTP/2 GET (no cert, refused)'), 2),
    },
    opsPerKind: rounds * perRound,
  };
}

function option(args: readonly string[], name: string): string {
  const index = args.indexOf(name);
  const value = index >= 0 ? args[index + 1] : undefined;
  if (!value) throw new Error(`missing ${name}`);
  return value;
}

async function main(args: readonly string[]): Promise<void> {
  const [mode] = args;
  const result = mode === 'pki' ? await pkiBench() : mode === 'probe' ? await probeBench(option(args, '--url'), option(args, '--pki-dir')) : undefined;
  if (!result) throw new Error('usage: micro.js pki | probe --url URL --pki-dir DIR');
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`micro: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
