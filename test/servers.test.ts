import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { authorizeClient, parseSubjectAltName, type AuthorizationPolicy } from '../src/servers/client-identity.js';
import { startReferenceServer, rawTlsReply } from '../src/servers/index.js';
import { parseSpiffeId } from '../src/spiffe-id.js';
import { allServerFlaws, type ReferenceServerOptions, type RunningServer, type ServerFlaw } from '../src/servers/types.js';
import { clientSpiffeId, issueLeaf, makeCa, makeTestPki, otherSpiffeId, selfSigned, type KeyPair, type Leaf, type TestPki } from './support/openssl-pki.js';
import {
  grpcCall,
  h2Get,
  handshake,
  rawHello,
  type ClientOptions,
  type GrpcReply,
  type HttpReply,
  type Outcome,
} from './support/reference-clients.js';

/**
 * The reference servers against real clients: node:http2 for HTTP/2, grpc-js
 * for gRPC, a TLS socket for raw TLS. Certificates come from the openssl CLI,
 * not the project's PKI module, so these tests stand on their own. The
 * per-flaw behaviour is in server-flaws.test.ts; this file covers the correct
 * servers, the two original flaws, pinned mode and the authorization rules.
 */

const helloText = 'Hello Ada, you are 36 year(s) old.';

type Protocol = RunningServer['protocol'];
type Variant = 'correct' | 'pinned' | ServerFlaw;
const variants: readonly Variant[] = ['correct', 'pinned', 'accept-any-cert', 'allow-tls12'];

let dir: string;
let pki: TestPki;
/** Certificates for the authorization rules, all from the trusted CA unless named otherwise. */
let certs: {
  twoUris: X509Certificate;
  leafCa: X509Certificate;
  keyCertSign: X509Certificate;
  rootPath: X509Certificate;
  httpsUri: X509Certificate;
  otherDomain: X509Certificate;
  noUri: X509Certificate;
};
/** Self-signed client certificates: two pinned, one stranger, one with a pinned subject but another key, one pinned without clientAuth. */
let pins: { first: Leaf; second: Leaf; stranger: Leaf; twin: Leaf; serverAuthOnly: Leaf };
const servers = new Map<string, RunningServer>();

function serverFor(protocol: Protocol, variant: Variant): RunningServer {
  const server = servers.get(`${protocol}/${variant}`);
  assert.ok(server, `no ${variant} ${protocol} server`);
  return server;
}

before(async () => {
  // mkdtemp creates the directory mode 0700: the private keys stay private.
  dir = await mkdtemp(path.join(os.tmpdir(), 'mtlspec-servers-'));
  const [made, aux] = await Promise.all([makeTestPki(dir), makeCa(dir, 'aux-ca')]);
  pki = made;
  const leaf = (name: string, extra: Partial<Parameters<typeof issueLeaf>[2]>): Promise<X509Certificate> =>
    issueLeaf(dir, aux, { name, subjectAltName: `URI:${clientSpiffeId}`, extendedKeyUsage: 'clientAuth', ...extra }).then((l) => new X509Certificate(l.certPem));
  const pin = (name: string, extra: Partial<Parameters<typeof selfSigned>[1]> = {}): Promise<Leaf> =>
    selfSigned(dir, { name, extendedKeyUsage: 'clientAuth', ...extra });
  const [twoUris, leafCa, keyCertSign, rootPath, httpsUri, otherDomain, noUri, first, second, stranger, twin, serverAuthOnly] = await Promise.all([
    leaf('two-uris', { subjectAltName: `URI:${clientSpiffeId},URI:spiffe://example.org/x` }),
    leaf('leaf-ca', { basicConstraints: 'critical, CA:TRUE', keyUsage: 'critical, digitalSignature, keyCertSign' }),
    leaf('kcs-leaf', { keyUsage: 'critical, digitalSignature, keyCertSign' }),
    leaf('root-path', { subjectAltName: 'URI:spiffe://example.org' }),
    leaf('https-uri', { subjectAltName: 'URI:https://example.org/client' }),
    leaf('other-domain', { subjectAltName: 'URI:spiffe://evil.example/client' }),
    leaf('no-uri', { subjectAltName: 'DNS:client.example' }),
    pin('pin-first'),
    pin('pin-second'),
    pin('stranger'),
    pin('pin-twin', { subjectCn: 'pin-first' }),
    pin('pin-server-auth', { extendedKeyUsage: 'serverAuth' }),
  ]);
  certs = { twoUris, leafCa, keyCertSign, rootPath, httpsUri, otherDomain, noUri };
  pins = { first, second, stranger, twin, serverAuthOnly };

  const base: ReferenceServerOptions = {
    clientCaPem: pki.caPem,
    certPem: pki.server.certPem,
    keyPem: pki.server.keyPem,
    allowedSpiffeIds: [clientSpiffeId],
    flaws: [],
  };
  const optionsFor = (variant: Variant): ReferenceServerOptions =>
    variant === 'correct' ? base
      : variant === 'pinned' ? { ...base, pinnedClientCertPems: [first.certPem, second.certPem, serverAuthOnly.certPem] }
        : { ...base, flaws: [variant] };
  await Promise.all(
    (['grpc', 'http2', 'tls'] as const).flatMap((protocol) =>
      variants.map(async (variant) => {
        servers.set(`${protocol}/${variant}`, await startReferenceServer(protocol, optionsFor(variant)));
      }),
    ),
  );
});

after(async () => {
  await Promise.all([...servers.values()].map((s) => s.close()));
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** Client options trusting the test server's CA. */
function client(identity?: KeyPair, extra: Omit<ClientOptions, 'serverCaPem' | 'identity'> = {}): ClientOptions {
  return { serverCaPem: pki.caPem, ...(identity ? { identity } : {}), ...extra };
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

function assertRefusedRaw(outcome: Outcome<string>): void {
  assert.ok(!outcome.ok, `expected refusal, got ${outcome.ok ? JSON.stringify(outcome.value) : ''}`);
  assert.notEqual(outcome.error, 'timeout');
}

// ---------------------------------------------------------------- authorization rules

/** The correct server's SPIFFE policy, with overrides. */
function policy(overrides: Partial<AuthorizationPolicy> = {}): AuthorizationPolicy {
  return { mode: 'spiffe', allowedSpiffeIds: [clientSpiffeId], allowAnonymous: false, svidRules: true, allowList: true, ...overrides };
}

function reasonOf(cert: X509Certificate | undefined, p: AuthorizationPolicy = policy()): string {
  const decision = authorizeClient(cert, p);
  assert.ok(!decision.allowed, 'expected a refusal');
  return decision.reason;
}

describe('client identity', () => {
  test("honours Node's quoting of SAN values containing separators", () => {
    // What Node prints for one URI SAN whose value embeds ", URI:...".
    const text = 'URI:"spiffe://example.org/a\\u002c URI:spiffe://evil", DNS:x.example';
    assert.deepEqual(parseSubjectAltName(text), [
      { type: 'URI', value: 'spiffe://example.org/a, URI:spiffe://evil' },
      { type: 'DNS', value: 'x.example' },
    ]);
  });
  test('refuses an anonymous caller unless the flaw allows it', () => {
    assert.equal(authorizeClient(undefined, policy()).allowed, false);
    assert.deepEqual(authorizeClient(undefined, policy({ allowAnonymous: true })), { allowed: true, client: null });
  });
  test('enforces the X509-SVID rules, each with its own reason', () => {
    assert.match(reasonOf(certs.twoUris, policy({ allowAnonymous: true })), /2 URI SANs/);
    assert.match(reasonOf(certs.leafCa), /must not be a CA/);
    assert.match(reasonOf(certs.keyCertSign), /keyCertSign or cRLSign/);
    assert.match(reasonOf(certs.rootPath), /names a trust domain, not a workload/);
    assert.match(reasonOf(certs.httpsUri), /is not a spiffe id: it must start with spiffe:\/\/ \(the scheme is not "spiffe"\)/);
    assert.match(reasonOf(certs.noUri), /has no URI SAN/);
  });
  test('refuses another trust domain before consulting the allow list', () => {
    assert.equal(reasonOf(certs.otherDomain), 'trust domain "evil.example" of spiffe id "spiffe://evil.example/client" is not trusted');
  });
  test('ignore-svid-rules applies the allow list to the first URI SAN only', () => {
    const lax = policy({ svidRules: false });
    assert.equal(authorizeClient(certs.twoUris, lax).allowed, true);
    assert.equal(authorizeClient(certs.leafCa, lax).allowed, true);
    assert.equal(authorizeClient(certs.keyCertSign, lax).allowed, true);
    assert.match(reasonOf(certs.rootPath, lax), /is not authorized/);
    assert.match(reasonOf(certs.httpsUri, lax), /is not authorized/);
  });
  test('no-spiffe-authorization authorizes any well-formed SVID, and only those', () => {
    const open = policy({ allowList: false });
    assert.equal(authorizeClient(certs.otherDomain, open).allowed, true);
    assert.match(reasonOf(certs.twoUris, open), /2 URI SANs/);
    assert.match(reasonOf(certs.leafCa, open), /must not be a CA/);
  });
  test('pinned mode authorizes by the pin alone', () => {
    assert.deepEqual(authorizeClient(certs.noUri, policy({ mode: 'pinned' })), { allowed: true, client: { subject: 'CN=no-uri', spiffeId: null } });
  });
});

describe('SPIFFE ID parsing', () => {
  test('accepts workload IDs and trust domain IDs', () => {
    assert.deepEqual(parseSpiffeId('spiffe://example.org/ns/prod/sa/web'), { ok: true, id: { trustDomain: 'example.org', path: '/ns/prod/sa/web' } });
    assert.deepEqual(parseSpiffeId('spiffe://example.org'), { ok: true, id: { trustDomain: 'example.org', path: '' } });
  });
  test('refuses what the SPIFFE-ID spec forbids', () => {
    for (const bad of [
      'SPIFFE://example.org/a', 'https://example.org/a', 'spiffe:///a', 'spiffe://Example.org/a', 'spiffe://example.org:443/a',
      'spiffe://user@example.org/a', 'spiffe://example.org/', 'spiffe://example.org//a', 'spiffe://example.org/a/../b',
      'spiffe://example.org/a?q=1', 'spiffe://example.org/a#f', 'spiffe://example.org/a%20b',
    ]) {
      assert.equal(parseSpiffeId(bad).ok, false, bad);
    }
  });
});

describe('flaw list', () => {
  test('names every flaw once', () => {
    assert.equal(new Set(allServerFlaws).size, allServerFlaws.length);
    assert.equal(allServerFlaws.length, 11);
  });
});

// ---------------------------------------------------------------- HTTP/2

describe('http2 reference server', () => {
  describe('correct', () => {
    const server = (): RunningServer => serverFor('http2', 'correct');

    test('url names the hello endpoint', () => {
      assert.equal(server().url, `https://127.0.0.1:${server().port}/hello`);
    });
    test('serves a valid client and reports its identity', async () => {
      const reply = assertServedHttp(await h2Get(server().port, client(pki.client)));
      assert.deepEqual(reply.body, { message: 'hello', client: { subject: 'CN=client', spiffeId: clientSpiffeId } });
    });
    test('unknown path is 404 JSON', async () => {
      const outcome = await h2Get(server().port, client(pki.client), '/nope');
      assert.ok(outcome.ok);
      assert.equal(outcome.value.status, 404);
      assert.equal(typeof outcome.value.body.error, 'string');
    });
    test('refuses a client without a certificate with certificate_required', async () => {
      const outcome = await h2Get(server().port, client());
      assertRefusedHttp(outcome);
      assert.ok(!outcome.ok && /CERTIFICATE_REQUIRED|closed/.test(outcome.error), !outcome.ok ? outcome.error : '');
    });
    test('refuses a client from an untrusted CA', async () => {
      assertRefusedHttp(await h2Get(server().port, client(pki.untrustedClient)));
    });
    test('answers 403 to a wrong SPIFFE ID, naming it', async () => {
      const outcome = await h2Get(server().port, client(pki.otherClient));
      assert.ok(outcome.ok, !outcome.ok ? outcome.error : '');
      assert.equal(outcome.value.status, 403);
      assert.equal(outcome.value.body.error, `spiffe id "${otherSpiffeId}" is not authorized`);
    });
    test('refuses TLS 1.2 with protocol_version, and TLS 1.1 and 1.0 too', async () => {
      assert.deepEqual(await handshake(server().port, client(pki.client, { maxVersion: 'TLSv1.2' })), {
        ok: false,
        error: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
      });
      assertRefusedHttp(await h2Get(server().port, client(pki.client, { maxVersion: 'TLSv1.2' })));
      for (const version of ['TLSv1.1', 'TLSv1'] as const) {
        assert.deepEqual(
          await handshake(server().port, client(pki.client, { minVersion: version, maxVersion: version, legacy: true })),
          { ok: false, error: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' },
          version,
        );
      }
    });
  });

  describe('accept-any-cert', () => {
    const server = (): RunningServer => serverFor('http2', 'accept-any-cert');

    test('serves a client without a certificate', async () => {
      const reply = assertServedHttp(await h2Get(server().port, client()));
      assert.equal(reply.body.client, null);
    });
    test('serves a client from an untrusted CA, as anonymous', async () => {
      const reply = assertServedHttp(await h2Get(server().port, client(pki.untrustedClient)));
      assert.equal(reply.body.client, null);
    });
    test('still answers 403 to a verified wrong SPIFFE ID', async () => {
      const outcome = await h2Get(server().port, client(pki.otherClient));
      assert.ok(outcome.ok);
      assert.equal(outcome.value.status, 403);
    });
  });

  describe('allow-tls12', () => {
    const server = (): RunningServer => serverFor('http2', 'allow-tls12');

    test('serves a TLS 1.2-only client', async () => {
      assert.deepEqual(await handshake(server().port, client(pki.client, { maxVersion: 'TLSv1.2' })), { ok: true, value: 'TLSv1.2' });
      assertServedHttp(await h2Get(server().port, client(pki.client, { maxVersion: 'TLSv1.2' })));
    });
    test('still refuses a client from an untrusted CA', async () => {
      assertRefusedHttp(await h2Get(server().port, client(pki.untrustedClient)));
    });
  });

  describe('pinned', () => {
    const server = (): RunningServer => serverFor('http2', 'pinned');

    test('serves each pinned self-signed client, with no SPIFFE ID', async () => {
      const reply = assertServedHttp(await h2Get(server().port, client(pins.first)));
      assert.deepEqual(reply.body.client, { subject: 'CN=pin-first', spiffeId: null });
      assertServedHttp(await h2Get(server().port, client(pins.second)));
    });
    test('refuses an unpinned self-signed client, and one with a pinned subject but another key', async () => {
      assertRefusedHttp(await h2Get(server().port, client(pins.stranger)));
      assertRefusedHttp(await h2Get(server().port, client(pins.twin)));
    });
    test('refuses a client of the CA, which pinned mode does not trust', async () => {
      assertRefusedHttp(await h2Get(server().port, client(pki.client)));
    });
    test('refuses a pinned certificate without clientAuth', async () => {
      assertRefusedHttp(await h2Get(server().port, client(pins.serverAuthOnly)));
    });
  });
});

// ---------------------------------------------------------------- gRPC

describe('grpc reference server', () => {
  describe('correct', () => {
    const server = (): RunningServer => serverFor('grpc', 'correct');

    test('url names SayHello', () => {
      assert.equal(server().url, `grpcs://127.0.0.1:${server().port}/mtlspec.demo.DemoService/SayHello`);
    });
    test('serves SayHello to a valid client with the exact reply', async () => {
      assertServedGrpc(await grpcCall(server().port, client(pki.client)));
    });
    test('serves Health/Check as SERVING', async () => {
      const outcome = await grpcCall(server().port, client(pki.client), 'grpc.health.v1.Health', 'Check', { service: '' });
      assert.ok(outcome.ok);
      assert.equal(outcome.value.code, status.OK, outcome.value.details);
      assert.deepEqual(outcome.value.message, { status: 'SERVING' });
    });
    test('refuses a client without a certificate', async () => {
      assertRefusedGrpc(await grpcCall(server().port, client()));
    });
    test('refuses a client from an untrusted CA', async () => {
      assertRefusedGrpc(await grpcCall(server().port, client(pki.untrustedClient)));
    });
    test('answers PERMISSION_DENIED to a wrong SPIFFE ID, naming it, on both services', async () => {
      for (const [service, method, request] of [
        ['mtlspec.demo.DemoService', 'SayHello', { name: 'Ada', age: 36 }],
        ['grpc.health.v1.Health', 'Check', { service: '' }],
      ] as const) {
        const outcome = await grpcCall(server().port, client(pki.otherClient), service, method, request);
        assert.ok(outcome.ok);
        assert.equal(outcome.value.code, status.PERMISSION_DENIED, `${service}/${method}`);
        assert.equal(outcome.value.details, `spiffe id "${otherSpiffeId}" is not authorized`);
      }
    });
    test('refuses a TLS 1.2-only client', async () => {
      assert.deepEqual(await handshake(server().port, client(pki.client, { maxVersion: 'TLSv1.2' })), {
        ok: false,
        error: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
      });
      assertRefusedGrpc(await grpcCall(server().port, client(pki.client, { maxVersion: 'TLSv1.2' })));
    });
  });

  describe('accept-any-cert', () => {
    const server = (): RunningServer => serverFor('grpc', 'accept-any-cert');

    test('serves a client without a certificate', async () => {
      assertServedGrpc(await grpcCall(server().port, client()));
    });
    test('serves a client from an untrusted CA', async () => {
      assertServedGrpc(await grpcCall(server().port, client(pki.untrustedClient)));
    });
    test('still answers PERMISSION_DENIED to a verified wrong SPIFFE ID', async () => {
      const outcome = await grpcCall(server().port, client(pki.otherClient));
      assert.ok(outcome.ok);
      assert.equal(outcome.value.code, status.PERMISSION_DENIED);
    });
  });

  describe('allow-tls12', () => {
    const server = (): RunningServer => serverFor('grpc', 'allow-tls12');

    test('serves a TLS 1.2-only client', async () => {
      assert.deepEqual(await handshake(server().port, client(pki.client, { maxVersion: 'TLSv1.2' })), { ok: true, value: 'TLSv1.2' });
      assertServedGrpc(await grpcCall(server().port, client(pki.client, { maxVersion: 'TLSv1.2' })));
    });
    test('still refuses a client from an untrusted CA', async () => {
      assertRefusedGrpc(await grpcCall(server().port, client(pki.untrustedClient)));
    });
  });

  describe('pinned', () => {
    const server = (): RunningServer => serverFor('grpc', 'pinned');

    test('serves a pinned client and refuses a stranger and a twin', async () => {
      assertServedGrpc(await grpcCall(server().port, client(pins.first)));
      assertRefusedGrpc(await grpcCall(server().port, client(pins.stranger)));
      assertRefusedGrpc(await grpcCall(server().port, client(pins.twin)));
    });
  });
});

// ---------------------------------------------------------------- raw TLS

describe('raw TLS reference server', () => {
  describe('correct', () => {
    const server = (): RunningServer => serverFor('tls', 'correct');

    test('url is tls://host:port', () => {
      assert.equal(server().url, `tls://127.0.0.1:${server().port}`);
    });
    test('answers a valid client', async () => {
      assert.deepEqual(await rawHello(server().port, client(pki.client)), { ok: true, value: rawTlsReply });
    });
    test('refuses no certificate with certificate_required', async () => {
      assert.deepEqual(await rawHello(server().port, client()), { ok: false, error: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
    });
    test('closes on an untrusted client and on a wrong SPIFFE ID, without a word', async () => {
      assertRefusedRaw(await rawHello(server().port, client(pki.untrustedClient)));
      assertRefusedRaw(await rawHello(server().port, client(pki.otherClient)));
    });
  });

  describe('pinned', () => {
    test('answers a pinned client and refuses a stranger', async () => {
      const server = serverFor('tls', 'pinned');
      assert.deepEqual(await rawHello(server.port, client(pins.first)), { ok: true, value: rawTlsReply });
      assertRefusedRaw(await rawHello(server.port, client(pins.stranger)));
    });
  });

  describe('accept-any-cert', () => {
    test('answers a client without a certificate', async () => {
      assert.deepEqual(await rawHello(serverFor('tls', 'accept-any-cert').port, client()), { ok: true, value: rawTlsReply });
    });
  });
});
