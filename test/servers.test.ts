import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { Client, Metadata, credentials, status, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoDir } from '../src/paths.js';
import { authorizeClient, parseSubjectAltName } from '../src/servers/client-identity.js';
import { startReferenceServer } from '../src/servers/index.js';
import type { RunningServer, ServerFlaw } from '../src/servers/types.js';
import { clientSpiffeId, issueLeaf, makeCa, makeTestPki, otherSpiffeId, type KeyPair, type TestPki } from './support/openssl-pki.js';

/**
 * The reference servers against real clients: node:http2 for HTTP/2, grpc-js
 * for gRPC. Certificates come from the openssl CLI, not the project's PKI
 * module, so these tests stand on their own. Every exchange is bounded, so a
 * server that hangs fails the test instead of stalling the suite.
 */

const exchangeTimeoutMs = 2000;
const helloText = 'Hello Ada, you are 36 year(s) old.';

type Protocol = RunningServer['protocol'];
type Variant = 'correct' | ServerFlaw;
const variants: readonly Variant[] = ['correct', 'accept-any-cert', 'allow-tls12'];

let dir: string;
let pki: TestPki;
/** A clientAuth leaf carrying two URI SANs, one of them allowed. */
let twoUriCert: X509Certificate;
const servers = new Map<string, RunningServer>();

function serverFor(protocol: Protocol, variant: Variant): RunningServer {
  const server = servers.get(`${protocol}/${variant}`);
  assert.ok(server, `no ${variant} ${protocol} server`);
  return server;
}

before(async () => {
  // mkdtemp creates the directory mode 0700: the private keys stay private.
  dir = await mkdtemp(path.join(os.tmpdir(), 'mtlspec-servers-'));
  const [made, twoUri] = await Promise.all([
    makeTestPki(dir),
    makeCa(dir, 'aux-ca').then((ca) =>
      issueLeaf(dir, ca, {
        name: 'two-uris',
        subjectAltName: `URI:${clientSpiffeId},URI:spiffe://example.org/x`,
        extendedKeyUsage: 'clientAuth',
      }),
    ),
  ]);
  pki = made;
  twoUriCert = new X509Certificate(twoUri.certPem);
  await Promise.all(
    (['grpc', 'http2'] as const).flatMap((protocol) =>
      variants.map(async (variant) => {
        const server = await startReferenceServer(protocol, {
          clientCaPem: pki.caPem,
          certPem: pki.server.certPem,
          keyPem: pki.server.keyPem,
          allowedSpiffeIds: [clientSpiffeId],
          flaws: variant === 'correct' ? [] : [variant],
        });
        servers.set(`${protocol}/${variant}`, server);
      }),
    ),
  );
});

after(async () => {
  await Promise.all([...servers.values()].map((s) => s.close()));
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------- clients

interface ClientOptions {
  /** Client certificate and key; none when omitted. */
  identity?: KeyPair;
  maxVersion?: tls.SecureVersion;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

/** Settles with the first outcome reported, or a 'timeout' error. */
function bounded<T>(run: (settle: (outcome: Outcome<T>) => void) => () => void): Promise<Outcome<T>> {
  return new Promise((resolve) => {
    let cleanup: () => void = () => undefined;
    let settled = false;
    const settle = (outcome: Outcome<T>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cleanup();
      resolve(outcome);
    };
    const timer = setTimeout(() => settle({ ok: false, error: 'timeout' }), exchangeTimeoutMs);
    cleanup = run(settle);
  });
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : String(err);
}

interface HttpReply {
  status: number;
  body: Record<string, unknown>;
}

function h2Get(server: RunningServer, opts: ClientOptions, requestPath = '/hello'): Promise<Outcome<HttpReply>> {
  return bounded((settle) => {
    const session = http2.connect(`https://127.0.0.1:${server.port}`, {
      ca: pki.caPem,
      cert: opts.identity?.certPem,
      key: opts.identity?.keyPem,
      maxVersion: opts.maxVersion,
    });
    session.on('error', (err) => settle({ ok: false, error: errorCode(err) }));
    // A TLS 1.3 server that rejects the client certificate just closes: no alert.
    session.on('close', () => settle({ ok: false, error: 'closed before reply' }));
    const req = session.request({ ':path': requestPath });
    let statusCode = 0;
    let text = '';
    req.setEncoding('utf8');
    req.on('response', (headers) => {
      statusCode = Number(headers[':status']);
    });
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', () => {
      // A session torn down after the handshake ends the stream with no response.
      if (statusCode === 0) settle({ ok: false, error: 'stream ended without a response' });
      else settle({ ok: true, value: { status: statusCode, body: JSON.parse(text) as Record<string, unknown> } });
    });
    req.on('error', (err) => settle({ ok: false, error: errorCode(err) }));
    return () => session.destroy();
  });
}

interface GrpcReply {
  code: number;
  details: string;
  message: Record<string, unknown> | undefined;
}

const grpcDefinitions = loadSync([path.join(protoDir, 'demo.proto'), path.join(protoDir, 'health.proto')], {
  includeDirs: [protoDir],
  keepCase: true,
  enums: String,
  defaults: true,
});

function grpcMethod(service: string, method: string) {
  const definition = grpcDefinitions[service];
  assert.ok(definition !== undefined && !('format' in definition), `no service ${service}`);
  const methodDef = (definition as ServiceDefinition)[method];
  assert.ok(methodDef, `no method ${service}/${method}`);
  return methodDef;
}

function grpcCall(
  server: RunningServer,
  opts: ClientOptions,
  service = 'mtlspec.demo.DemoService',
  method = 'SayHello',
  request: object = { name: 'Ada', age: 36 },
): Promise<Outcome<GrpcReply>> {
  const def = grpcMethod(service, method);
  return bounded((settle) => {
    const context = tls.createSecureContext({
      ca: pki.caPem,
      cert: opts.identity?.certPem,
      key: opts.identity?.keyPem,
      maxVersion: opts.maxVersion,
    });
    // Verify the server as "localhost" (also in its SANs): otherwise grpc-js
    // sends the IP literal as SNI, which Node deprecates (DEP0123).
    const client = new Client(`127.0.0.1:${server.port}`, credentials.createFromSecureContext(context), {
      'grpc.ssl_target_name_override': 'localhost',
    });
    client.makeUnaryRequest(
      def.path,
      def.requestSerialize,
      def.responseDeserialize,
      request,
      new Metadata(),
      { deadline: Date.now() + exchangeTimeoutMs },
      (err, response) => {
        settle({
          ok: true,
          value: {
            code: err?.code ?? status.OK,
            details: err?.details ?? '',
            message: response as Record<string, unknown> | undefined,
          },
        });
      },
    );
    return () => client.close();
  });
}

/** A bare TLS handshake offering ALPN h2, reporting the version or the error. */
function handshake(server: RunningServer, opts: ClientOptions): Promise<Outcome<string>> {
  return bounded((settle) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port: server.port,
      ca: pki.caPem,
      cert: opts.identity?.certPem,
      key: opts.identity?.keyPem,
      maxVersion: opts.maxVersion,
      ALPNProtocols: ['h2'],
    });
    socket.on('secureConnect', () => settle({ ok: true, value: socket.getProtocol() ?? 'unknown' }));
    socket.on('error', (err) => settle({ ok: false, error: errorCode(err) }));
    return () => socket.destroy();
  });
}

// ---------------------------------------------------------------- assertions

function assertServedHttp(outcome: Outcome<HttpReply>): HttpReply {
  assert.ok(outcome.ok, `expected a reply, got ${outcome.ok ? '' : outcome.error}`);
  assert.equal(outcome.value.status, 200, JSON.stringify(outcome.value.body));
  assert.equal(outcome.value.body.message, 'hello');
  return outcome.value;
}

function assertServedGrpc(outcome: Outcome<GrpcReply>): void {
  assert.ok(outcome.ok, `expected a status, got ${outcome.ok ? '' : outcome.error}`);
  assert.equal(outcome.value.code, status.OK, outcome.value.details);
  assert.deepEqual(outcome.value.message, { response: helloText });
}

/** Refused at the TLS layer: no HTTP reply at all, and not because of a hang. */
function assertRefusedHttp(outcome: Outcome<HttpReply>): void {
  assert.ok(!outcome.ok, `expected refusal, got HTTP ${outcome.ok ? outcome.value.status : ''}`);
  assert.notEqual(outcome.error, 'timeout');
}

function assertRefusedGrpc(outcome: Outcome<GrpcReply>): void {
  assert.ok(outcome.ok, `expected a status, got ${outcome.ok ? '' : outcome.error}`);
  assert.equal(outcome.value.code, status.UNAVAILABLE, outcome.value.details);
}

// ---------------------------------------------------------------- tests

describe('client identity', () => {
  test("honours Node's quoting of SAN values containing separators", () => {
    // What Node prints for one URI SAN whose value embeds ", URI:...".
    const text = 'URI:"spiffe://example.org/a\\u002c URI:spiffe://evil", DNS:x.example';
    assert.deepEqual(parseSubjectAltName(text), [
      { type: 'URI', value: 'spiffe://example.org/a, URI:spiffe://evil' },
      { type: 'DNS', value: 'x.example' },
    ]);
  });
  test('refuses a certificate with more than one URI SAN, even if one is allowed', () => {
    const decision = authorizeClient(twoUriCert, { allowedSpiffeIds: [clientSpiffeId], allowAnonymous: true });
    assert.equal(decision.allowed, false);
  });
  test('refuses an anonymous caller unless the flaw allows it', () => {
    assert.equal(authorizeClient(undefined, { allowedSpiffeIds: [clientSpiffeId], allowAnonymous: false }).allowed, false);
    assert.deepEqual(authorizeClient(undefined, { allowedSpiffeIds: [clientSpiffeId], allowAnonymous: true }), {
      allowed: true,
      client: null,
    });
  });
});

describe('http2 reference server', () => {
  describe('correct', () => {
    const server = (): RunningServer => serverFor('http2', 'correct');

    test('url names the hello endpoint', () => {
      assert.equal(server().url, `https://127.0.0.1:${server().port}/hello`);
    });
    test('serves a valid client and reports its identity', async () => {
      const reply = assertServedHttp(await h2Get(server(), { identity: pki.client }));
      assert.deepEqual(reply.body, { message: 'hello', client: { subject: 'CN=client', spiffeId: clientSpiffeId } });
    });
    test('unknown path is 404 JSON', async () => {
      const outcome = await h2Get(server(), { identity: pki.client }, '/nope');
      assert.ok(outcome.ok);
      assert.equal(outcome.value.status, 404);
      assert.equal(typeof outcome.value.body.error, 'string');
    });
    test('refuses a client without a certificate', async () => {
      const outcome = await h2Get(server(), {});
      assertRefusedHttp(outcome);
      assert.ok(!outcome.ok && /CERTIFICATE_REQUIRED|closed/.test(outcome.error), !outcome.ok ? outcome.error : '');
    });
    test('refuses a client from an untrusted CA', async () => {
      assertRefusedHttp(await h2Get(server(), { identity: pki.untrustedClient }));
    });
    test('answers 403 to a wrong SPIFFE ID, naming it', async () => {
      const outcome = await h2Get(server(), { identity: pki.otherClient });
      assert.ok(outcome.ok, !outcome.ok ? outcome.error : '');
      assert.equal(outcome.value.status, 403);
      assert.equal(outcome.value.body.error, `spiffe id "${otherSpiffeId}" is not authorized`);
    });
    test('refuses a TLS 1.2-only client', async () => {
      assert.deepEqual(await handshake(server(), { identity: pki.client, maxVersion: 'TLSv1.2' }), {
        ok: false,
        error: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
      });
      assertRefusedHttp(await h2Get(server(), { identity: pki.client, maxVersion: 'TLSv1.2' }));
    });
  });

  describe('accept-any-cert', () => {
    const server = (): RunningServer => serverFor('http2', 'accept-any-cert');

    test('serves a client without a certificate', async () => {
      const reply = assertServedHttp(await h2Get(server(), {}));
      assert.equal(reply.body.client, null);
    });
    test('serves a client from an untrusted CA', async () => {
      assertServedHttp(await h2Get(server(), { identity: pki.untrustedClient }));
    });
    test('still answers 403 to a verified wrong SPIFFE ID', async () => {
      const outcome = await h2Get(server(), { identity: pki.otherClient });
      assert.ok(outcome.ok);
      assert.equal(outcome.value.status, 403);
    });
  });

  describe('allow-tls12', () => {
    const server = (): RunningServer => serverFor('http2', 'allow-tls12');

    test('serves a TLS 1.2-only client', async () => {
      assert.deepEqual(await handshake(server(), { identity: pki.client, maxVersion: 'TLSv1.2' }), { ok: true, value: 'TLSv1.2' });
      assertServedHttp(await h2Get(server(), { identity: pki.client, maxVersion: 'TLSv1.2' }));
    });
    test('still refuses a client from an untrusted CA', async () => {
      assertRefusedHttp(await h2Get(server(), { identity: pki.untrustedClient }));
    });
  });
});

describe('grpc reference server', () => {
  describe('correct', () => {
    const server = (): RunningServer => serverFor('grpc', 'correct');

    test('url names SayHello', () => {
      assert.equal(server().url, `grpcs://127.0.0.1:${server().port}/mtlspec.demo.DemoService/SayHello`);
    });
    test('serves SayHello to a valid client with the exact reply', async () => {
      assertServedGrpc(await grpcCall(server(), { identity: pki.client }));
    });
    test('serves Health/Check as SERVING', async () => {
      const outcome = await grpcCall(server(), { identity: pki.client }, 'grpc.health.v1.Health', 'Check', { service: '' });
      assert.ok(outcome.ok);
      assert.equal(outcome.value.code, status.OK, outcome.value.details);
      assert.deepEqual(outcome.value.message, { status: 'SERVING' });
    });
    test('refuses a client without a certificate', async () => {
      assertRefusedGrpc(await grpcCall(server(), {}));
    });
    test('refuses a client from an untrusted CA', async () => {
      assertRefusedGrpc(await grpcCall(server(), { identity: pki.untrustedClient }));
    });
    test('answers PERMISSION_DENIED to a wrong SPIFFE ID, naming it, on both services', async () => {
      for (const [service, method, request] of [
        ['mtlspec.demo.DemoService', 'SayHello', { name: 'Ada', age: 36 }],
        ['grpc.health.v1.Health', 'Check', { service: '' }],
      ] as const) {
        const outcome = await grpcCall(server(), { identity: pki.otherClient }, service, method, request);
        assert.ok(outcome.ok);
        assert.equal(outcome.value.code, status.PERMISSION_DENIED, `${service}/${method}`);
        assert.equal(outcome.value.details, `spiffe id "${otherSpiffeId}" is not authorized`);
      }
    });
    test('refuses a TLS 1.2-only client', async () => {
      assert.deepEqual(await handshake(server(), { identity: pki.client, maxVersion: 'TLSv1.2' }), {
        ok: false,
        error: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
      });
      assertRefusedGrpc(await grpcCall(server(), { identity: pki.client, maxVersion: 'TLSv1.2' }));
    });
  });

  describe('accept-any-cert', () => {
    const server = (): RunningServer => serverFor('grpc', 'accept-any-cert');

    test('serves a client without a certificate', async () => {
      assertServedGrpc(await grpcCall(server(), {}));
    });
    test('serves a client from an untrusted CA', async () => {
      assertServedGrpc(await grpcCall(server(), { identity: pki.untrustedClient }));
    });
    test('still answers PERMISSION_DENIED to a verified wrong SPIFFE ID', async () => {
      const outcome = await grpcCall(server(), { identity: pki.otherClient });
      assert.ok(outcome.ok);
      assert.equal(outcome.value.code, status.PERMISSION_DENIED);
    });
  });

  describe('allow-tls12', () => {
    const server = (): RunningServer => serverFor('grpc', 'allow-tls12');

    test('serves a TLS 1.2-only client', async () => {
      assert.deepEqual(await handshake(server(), { identity: pki.client, maxVersion: 'TLSv1.2' }), { ok: true, value: 'TLSv1.2' });
      assertServedGrpc(await grpcCall(server(), { identity: pki.client, maxVersion: 'TLSv1.2' }));
    });
    test('still refuses a client from an untrusted CA', async () => {
      assertRefusedGrpc(await grpcCall(server(), { identity: pki.untrustedClient }));
    });
  });
});
