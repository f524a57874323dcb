import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRunPki, loopbackHosts, type IssuedLeaf } from '../src/pki/index.js';
import { formatAlert, probe, type Outcome, type ProbeRequest } from '../src/probe/index.js';
import { parseTargetUrl } from '../src/target/target.js';
import { startNginx, type NginxOptions, type RunningNginx } from './support/nginx.js';
import { rawTlsExchange, type RawExchange } from './support/raw-tls.js';
import { startSServer, type RunningSServer, type SServerOptions } from './support/s-server.js';

/**
 * The probe against servers we did not write: a real nginx and OpenSSL's
 * s_server on loopback. The expected values below are what these servers
 * were observed to do (nginx 1.22.1, OpenSSL 3.0 on Debian 12), so a change
 * in either the probe or the servers shows up here as a diff of one line.
 *
 * Each outcome is compared as one short string ("rejected/application/http
 * 400") so a failure reads like a row of the behaviour table.
 */

const probeTimeoutMs = 3000;

/**
 * The brief's five clients, plus TLS 1.2 without a certificate and with an
 * untrusted one: in TLS 1.2 the server judges the certificate inside the
 * handshake, so a refusal shows at another stage than in TLS 1.3.
 */
type ClientKind = 'valid' | 'no-cert' | 'untrusted-ca' | 'self-signed' | 'tls12-valid' | 'tls12-no-cert' | 'tls12-untrusted-ca';
const clientKinds: readonly ClientKind[] = [
  'valid', 'no-cert', 'untrusted-ca', 'self-signed', 'tls12-valid', 'tls12-no-cert', 'tls12-untrusted-ca',
];

interface Client {
  credential: IssuedLeaf | undefined;
  tlsVersions?: ProbeRequest['tlsVersions'];
}

/** The CA that signs the valid client and the servers' certificate; both servers trust it for clients. */
let caPem: string;
let serverLeaf: IssuedLeaf;
const clients = new Map<ClientKind, Client>();

function client(kind: ClientKind): Client {
  const found = clients.get(kind);
  assert.ok(found, `no client ${kind}`);
  return found;
}

/** An Outcome in one line: kind/stage, then the evidence that decided it. */
function summarize(outcome: Outcome): string {
  const parts: string[] = [outcome.kind];
  if (outcome.kind === 'rejected') parts.push(outcome.stage);
  if (outcome.kind === 'unreachable') parts.push(outcome.reason);
  if (outcome.tls.alert) parts.push(`alert ${outcome.tls.alert.name}`);
  const status = outcome.kind === 'unreachable' ? undefined : outcome.app?.httpStatus;
  if (status !== undefined) parts.push(`http ${status}`);
  return parts.join('/');
}

/** A raw exchange in one line: what came back after the handshake, and how it ended. */
function summarizeRaw(exchange: RawExchange): string {
  const parts: string[] = [exchange.handshakeCompleted ? `handshake ${exchange.version ?? '?'}` : 'no handshake'];
  const firstLine = exchange.received.split('\n')[0]?.trim();
  if (firstLine) parts.push(`data "${firstLine}"`);
  if (exchange.alert) parts.push(`alert ${exchange.alert.name}`);
  else if (exchange.errorCode) parts.push(`error ${exchange.errorCode}`);
  parts.push(exchange.ending);
  return parts.join('/');
}

async function probeAs(url: string, kind: ClientKind): Promise<Outcome> {
  const { credential, tlsVersions } = client(kind);
  return probe({
    target: parseTargetUrl(url),
    credential,
    serverCaPem: caPem,
    timeoutMs: probeTimeoutMs,
    ...(tlsVersions ? { tlsVersions } : {}),
  });
}

function describeForReport(outcome: Outcome): string {
  const alert = outcome.tls.alert ? ` alert=${formatAlert(outcome.tls.alert)}` : '';
  return `${summarize(outcome)} (${outcome.detail}${alert}; error ${outcome.tls.errorCode ?? 'none'})`;
}

before(async () => {
  const pki = await createRunPki({ clientSpiffeId: 'spiffe://example.org/client', trustedCa: 'generate', serverHosts: loopbackHosts });
  assert.ok(pki.trustedCa && pki.server, 'the run PKI made no trusted CA or server leaf');
  caPem = pki.trustedCa.certPem;
  serverLeaf = pki.server;
  const valid = pki.validClientTemplate();
  const [validLeaf, untrusted, selfSigned] = await Promise.all([
    pki.issue(valid),
    pki.issue({ ...valid, signer: 'untrusted-ca' }),
    pki.issue({ ...valid, signer: 'self' }),
  ]);
  clients.set('valid', { credential: validLeaf });
  clients.set('no-cert', { credential: undefined });
  clients.set('untrusted-ca', { credential: untrusted });
  clients.set('self-signed', { credential: selfSigned });
  clients.set('tls12-valid', { credential: validLeaf, tlsVersions: { max: 'TLSv1.2' } });
  clients.set('tls12-no-cert', { credential: undefined, tlsVersions: { max: 'TLSv1.2' } });
  clients.set('tls12-untrusted-ca', { credential: untrusted, tlsVersions: { max: 'TLSv1.2' } });
});

// ------------------------------------------------------------------ nginx

/**
 * nginx never fails the handshake over a client certificate: its verify
 * callback accepts everything and the HTTP layer judges afterwards, answering
 * 400 ("No required SSL certificate was sent" / "The SSL certificate error").
 */
const nginxCases: ReadonlyArray<{ name: string; options: Pick<NginxOptions, 'verifyClient' | 'protocols'>; expected: Record<ClientKind, string> }> = [
  {
    name: 'ssl_verify_client on, TLSv1.3',
    options: { verifyClient: 'on' },
    expected: {
      valid: 'accepted/http 200',
      'no-cert': 'rejected/application/http 400',
      'untrusted-ca': 'rejected/application/http 400',
      'self-signed': 'rejected/application/http 400',
      'tls12-valid': 'rejected/handshake/alert protocol_version',
      'tls12-no-cert': 'rejected/handshake/alert protocol_version',
      'tls12-untrusted-ca': 'rejected/handshake/alert protocol_version',
    },
  },
  {
    name: 'ssl_verify_client optional, TLSv1.3',
    options: { verifyClient: 'optional' },
    expected: {
      valid: 'accepted/http 200',
      'no-cert': 'accepted/http 200',
      'untrusted-ca': 'rejected/application/http 400',
      'self-signed': 'rejected/application/http 400',
      'tls12-valid': 'rejected/handshake/alert protocol_version',
      'tls12-no-cert': 'rejected/handshake/alert protocol_version',
      'tls12-untrusted-ca': 'rejected/handshake/alert protocol_version',
    },
  },
  {
    name: 'ssl_verify_client optional_no_ca, TLSv1.3',
    options: { verifyClient: 'optional_no_ca' },
    expected: {
      valid: 'accepted/http 200',
      'no-cert': 'accepted/http 200',
      'untrusted-ca': 'accepted/http 200',
      'self-signed': 'accepted/http 200',
      'tls12-valid': 'rejected/handshake/alert protocol_version',
      'tls12-no-cert': 'rejected/handshake/alert protocol_version',
      'tls12-untrusted-ca': 'rejected/handshake/alert protocol_version',
    },
  },
  {
    name: 'ssl_verify_client on, TLSv1.2 TLSv1.3',
    options: { verifyClient: 'on', protocols: 'TLSv1.2 TLSv1.3' },
    expected: {
      valid: 'accepted/http 200',
      'no-cert': 'rejected/application/http 400',
      'untrusted-ca': 'rejected/application/http 400',
      'self-signed': 'rejected/application/http 400',
      'tls12-valid': 'accepted/http 200',
      'tls12-no-cert': 'rejected/application/http 400',
      'tls12-untrusted-ca': 'rejected/application/http 400',
    },
  },
];

describe('nginx', () => {
  const servers = new Map<string, RunningNginx>();

  before(async () => {
    // Started one after another: the first may have to apt-get install nginx.
    for (const { name, options } of nginxCases) {
      servers.set(name, await startNginx({ ...options, clientCaPem: caPem, certPem: serverLeaf.certPem, keyPem: serverLeaf.keyPem }));
    }
  });

  after(async () => {
    await Promise.all([...servers.values()].map((s) => s.close()));
  });

  test('serves /hello to a valid client over HTTP/2', async () => {
    const server = servers.get(nginxCases[0]?.name ?? '');
    assert.ok(server);
    const outcome = await probe({
      target: parseTargetUrl(`${server.url}hello`),
      credential: client('valid').credential,
      serverCaPem: caPem,
      timeoutMs: probeTimeoutMs,
    });
    assert.equal(outcome.kind, 'accepted', describeForReport(outcome));
    assert.equal(outcome.tls.alpn, 'h2');
    assert.equal(outcome.app.bodyExcerpt, 'hello\n');
  });

  for (const { name, expected } of nginxCases) {
    test(name, async (t) => {
      const server = servers.get(name);
      assert.ok(server, `nginx "${name}" did not start`);
      const observed: Partial<Record<ClientKind, string>> = {};
      for (const kind of clientKinds) {
        const outcome = await probeAs(server.url, kind);
        observed[kind] = summarize(outcome);
        t.diagnostic(`${kind}: ${describeForReport(outcome)}`);
      }
      assert.deepEqual(observed, expected, `nginx error log:\n${server.errorLogTail()}`);
    });
  }
});

// --------------------------------------------------------------- s_server

/**
 * probe() on a tls:// target reads past the handshake (no `send` here, so it
 * waits out its settle window), which is where a TLS 1.3 s_server refuses a
 * client certificate: the alert shows as rejected/first-read. A silent, open
 * connection (s_server -www waiting for a request) is accepted. The raw
 * exchange beside each probe row sends a real request and reads until the
 * server ends the connection: the two must tell the same story.
 */
const sServerCases: ReadonlyArray<{
  name: string;
  options: Pick<SServerOptions, 'verifyReturnError' | 'tls13Only' | 'mode'>;
  probe: Record<ClientKind, string>;
  raw: Record<ClientKind, string>;
}> = [
  {
    name: 's_server -Verify 1 -verify_return_error -tls1_3 -www',
    options: { verifyReturnError: true, tls13Only: true, mode: 'www' },
    probe: {
      valid: 'accepted',
      'no-cert': 'rejected/first-read/alert certificate_required',
      'untrusted-ca': 'rejected/first-read/alert unknown_ca',
      'self-signed': 'rejected/first-read/alert unknown_ca',
      'tls12-valid': 'rejected/handshake/alert protocol_version',
      'tls12-no-cert': 'rejected/handshake/alert protocol_version',
      'tls12-untrusted-ca': 'rejected/handshake/alert protocol_version',
    },
    raw: {
      valid: 'handshake TLSv1.3/data "HTTP/1.0 200 ok"/end',
      'no-cert': 'handshake TLSv1.3/alert certificate_required/error',
      'untrusted-ca': 'handshake TLSv1.3/alert unknown_ca/error',
      'self-signed': 'handshake TLSv1.3/alert unknown_ca/error',
      'tls12-valid': 'no handshake/alert protocol_version/error',
      'tls12-no-cert': 'no handshake/alert protocol_version/error',
      'tls12-untrusted-ca': 'no handshake/alert protocol_version/error',
    },
  },
  {
    name: 's_server -Verify 1 -tls1_3 -www (no -verify_return_error)',
    options: { verifyReturnError: false, tls13Only: true, mode: 'www' },
    probe: {
      valid: 'accepted',
      'no-cert': 'rejected/first-read/alert certificate_required',
      'untrusted-ca': 'accepted',
      'self-signed': 'accepted',
      'tls12-valid': 'rejected/handshake/alert protocol_version',
      'tls12-no-cert': 'rejected/handshake/alert protocol_version',
      'tls12-untrusted-ca': 'rejected/handshake/alert protocol_version',
    },
    raw: {
      valid: 'handshake TLSv1.3/data "HTTP/1.0 200 ok"/end',
      'no-cert': 'handshake TLSv1.3/alert certificate_required/error',
      'untrusted-ca': 'handshake TLSv1.3/data "HTTP/1.0 200 ok"/end',
      'self-signed': 'handshake TLSv1.3/data "HTTP/1.0 200 ok"/end',
      'tls12-valid': 'no handshake/alert protocol_version/error',
      'tls12-no-cert': 'no handshake/alert protocol_version/error',
      'tls12-untrusted-ca': 'no handshake/alert protocol_version/error',
    },
  },
  {
    name: 's_server -Verify 1 -verify_return_error -tls1_3 -rev',
    options: { verifyReturnError: true, tls13Only: true, mode: 'rev' },
    probe: {
      valid: 'accepted',
      'no-cert': 'rejected/first-read/alert certificate_required',
      'untrusted-ca': 'rejected/first-read/alert unknown_ca',
      'self-signed': 'rejected/first-read/alert unknown_ca',
      'tls12-valid': 'rejected/handshake/alert protocol_version',
      'tls12-no-cert': 'rejected/handshake/alert protocol_version',
      'tls12-untrusted-ca': 'rejected/handshake/alert protocol_version',
    },
    raw: {
      valid: 'handshake TLSv1.3/data "cepsltm olleh"/end',
      'no-cert': 'handshake TLSv1.3/alert certificate_required/error',
      'untrusted-ca': 'handshake TLSv1.3/alert unknown_ca/error',
      'self-signed': 'handshake TLSv1.3/alert unknown_ca/error',
      'tls12-valid': 'no handshake/alert protocol_version/error',
      'tls12-no-cert': 'no handshake/alert protocol_version/error',
      'tls12-untrusted-ca': 'no handshake/alert protocol_version/error',
    },
  },
  {
    name: 's_server -Verify 1 -verify_return_error -www, TLS 1.2 allowed',
    options: { verifyReturnError: true, tls13Only: false, mode: 'www' },
    probe: {
      valid: 'accepted',
      'no-cert': 'rejected/first-read/alert certificate_required',
      'untrusted-ca': 'rejected/first-read/alert unknown_ca',
      'self-signed': 'rejected/first-read/alert unknown_ca',
      'tls12-valid': 'accepted',
      'tls12-no-cert': 'rejected/handshake/alert handshake_failure',
      'tls12-untrusted-ca': 'rejected/handshake/alert unknown_ca',
    },
    raw: {
      valid: 'handshake TLSv1.3/data "HTTP/1.0 200 ok"/end',
      'no-cert': 'handshake TLSv1.3/alert certificate_required/error',
      'untrusted-ca': 'handshake TLSv1.3/alert unknown_ca/error',
      'self-signed': 'handshake TLSv1.3/alert unknown_ca/error',
      'tls12-valid': 'handshake TLSv1.2/data "HTTP/1.0 200 ok"/end',
      'tls12-no-cert': 'no handshake/alert handshake_failure/error',
      'tls12-untrusted-ca': 'no handshake/alert unknown_ca/error',
    },
  },
];

describe('openssl s_server', () => {
  const servers = new Map<string, RunningSServer>();

  before(async () => {
    await Promise.all(
      sServerCases.map(async ({ name, options }) => {
        servers.set(name, await startSServer({ ...options, clientCaPem: caPem, certPem: serverLeaf.certPem, keyPem: serverLeaf.keyPem }));
      }),
    );
  });

  after(async () => {
    await Promise.all([...servers.values()].map((s) => s.close()));
  });

  for (const { name, options, probe: expectedProbe, raw: expectedRaw } of sServerCases) {
    test(name, async (t) => {
      const server = servers.get(name);
      assert.ok(server, `s_server "${name}" did not start`);
      const probed: Partial<Record<ClientKind, string>> = {};
      const raw: Partial<Record<ClientKind, string>> = {};
      // One at a time: s_server serves a single connection at once.
      for (const kind of clientKinds) {
        const outcome = await probeAs(server.url, kind);
        probed[kind] = summarize(outcome);
        const { credential, tlsVersions } = client(kind);
        const exchange = await rawTlsExchange({
          host: '127.0.0.1',
          port: server.port,
          ...(credential ? { credential } : {}),
          serverCaPem: caPem,
          ...(tlsVersions?.max ? { maxVersion: tlsVersions.max } : {}),
          // rev mode closes the connection on a line starting with CLOSE.
          send: options.mode === 'www' ? 'GET / HTTP/1.0\r\n\r\n' : 'hello mtlspec\nCLOSE\n',
          timeoutMs: probeTimeoutMs,
        });
        raw[kind] = summarizeRaw(exchange);
        t.diagnostic(`${kind}: probe ${describeForReport(outcome)}; raw ${raw[kind]}`);
      }
      assert.deepEqual(probed, expectedProbe, `s_server output:\n${server.output().slice(-3000)}`);
      assert.deepEqual(raw, expectedRaw, `s_server output:\n${server.output().slice(-3000)}`);
    });
  }
});
