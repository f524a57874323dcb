import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { auditChain, type FaultKind, type TrustConfig } from '../src/servers/chain-audit.js';
import { judge } from '../src/servers/client-verification.js';
import { parseCrl } from '../src/servers/crl.js';
import { startReferenceServer, rawTlsReply } from '../src/servers/index.js';
import { pemCertificates } from '../src/servers/pem.js';
import { allServerFlaws, type RunningServer, type ServerFlaw } from '../src/servers/types.js';
import {
  clientSpiffeId,
  corruptSignature,
  crl,
  issueLeaf,
  makeCa,
  revoke,
  selfSigned,
  type Leaf,
  type LeafSpec,
  type OpensslCa,
} from './support/openssl-pki.js';
import { grpcCall, h2Get, handshake, rawHello, type ClientOptions } from './support/reference-clients.js';

/**
 * The detection matrix at the server level: every flaw, against every
 * defect, with real clients. Each flaw must let through exactly the defects
 * of the one check it switches off and still refuse every other one; the
 * correct server must refuse them all. HTTP/2 runs the whole matrix; gRPC and
 * raw TLS, which share the verification code, run each flaw's own defect and
 * an unrelated one. Combined defects check that a flaw tolerating one fault
 * does not let a second one through behind it (OpenSSL reports only one).
 */

type Variant = 'correct' | ServerFlaw;
const variants: readonly Variant[] = ['correct', ...allServerFlaws];
const day = 86_400_000;

interface Case {
  /** The client certificate; none for 'no-cert'. */
  leaf?: Leaf;
  client?: Omit<ClientOptions, 'serverCaPem' | 'identity'>;
  /** The variants that must serve this client; every other one must refuse it. */
  servedBy: readonly Variant[];
  /** The fault kinds the chain audit must find (certificate cases only). */
  faults?: readonly FaultKind[];
}

let dir: string;
let caPem: string;
let crlPems: string[];
let server: Leaf;
const cases = new Map<string, Case>();
const servers = new Map<string, RunningServer>();

const all = variants;
const anyCert = ['accept-any-cert'] as const;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mtlspec-flaws-'));
  const ca = await makeCa(dir, 'ca');
  const [untrustedCa, impostorCa, intermediate, pathLenZero, notCa, noKeyCertSign, rsaIntermediate] = await Promise.all([
    makeCa(dir, 'untrusted-ca'),
    makeCa(dir, 'impostor-ca', { subjectCn: 'ca' }),
    makeCa(dir, 'int', { issuer: ca }),
    makeCa(dir, 'int-pathlen-0', { issuer: ca, basicConstraints: 'critical, CA:TRUE, pathlen:0' }),
    makeCa(dir, 'int-not-ca', { issuer: ca, basicConstraints: 'critical, CA:FALSE' }),
    makeCa(dir, 'int-no-kcs', { issuer: ca, keyUsage: 'critical, digitalSignature, cRLSign' }),
    makeCa(dir, 'rsa-int', { issuer: ca, key: 'rsa-2048' }),
  ]);
  const belowPathLen = await makeCa(dir, 'int-below-pathlen', { issuer: pathLenZero });

  const now = Date.now();
  const expired = { notBefore: new Date(now - 30 * day), notAfter: new Date(now - day) };
  const client = (issuer: OpensslCa, name: string, spec: Partial<LeafSpec> = {}): Promise<Leaf> =>
    issueLeaf(dir, issuer, { name, subjectAltName: `URI:${clientSpiffeId}`, extendedKeyUsage: 'clientAuth', ...spec });
  const unknownCritical = '1.3.6.1.4.1.55555.1 = critical, ASN1:NULL';

  const leaves = await Promise.all([
    client(ca, 'valid'),
    client(intermediate, 'via-intermediate'),
    client(ca, 'expired', expired),
    client(ca, 'not-yet-valid', { notBefore: new Date(now + day), notAfter: new Date(now + 2 * day) }),
    client(ca, 'eku-server-auth', { extendedKeyUsage: 'serverAuth' }),
    client(ca, 'eku-code-signing', { extendedKeyUsage: 'codeSigning' }),
    client(ca, 'ku-key-encipherment', { keyUsage: 'critical, keyEncipherment' }),
    client(ca, 'ku-key-agreement', { keyUsage: 'critical, keyAgreement' }),
    client(ca, 'leaf-is-ca', { basicConstraints: 'critical, CA:TRUE', keyUsage: 'critical, digitalSignature, keyCertSign' }),
    client(ca, 'unknown-critical', { extraExtensions: [unknownCritical] }),
    client(untrustedCa, 'untrusted'),
    client(impostorCa, 'impostor'),
    selfSigned(dir, { name: 'self-signed', subjectAltName: `URI:${clientSpiffeId}`, extendedKeyUsage: 'clientAuth' }),
    client(belowPathLen, 'pathlen-exceeded'),
    client(notCa, 'issuer-not-ca'),
    client(noKeyCertSign, 'issuer-without-keycertsign'),
    client(ca, 'rsa-1024', { key: 'rsa-1024' }),
    client(ca, 'sha1', { md: 'sha1' }),
    client(rsaIntermediate, 'md5', { md: 'md5' }),
    client(ca, 'revoked'),
    client(ca, 'wrong-id', { subjectAltName: 'URI:spiffe://example.org/other' }),
    client(ca, 'wrong-trust-domain', { subjectAltName: 'URI:spiffe://evil.example/client' }),
    client(ca, 'two-uri-sans', { subjectAltName: `URI:${clientSpiffeId},URI:spiffe://example.org/admin` }),
    client(ca, 'non-spiffe-uri', { subjectAltName: 'URI:https://example.org/client' }),
    client(ca, 'root-path', { subjectAltName: 'URI:spiffe://example.org' }),
    client(ca, 'svid-is-ca', { basicConstraints: 'critical, CA:TRUE' }),
    client(ca, 'keycertsign-on-leaf', { keyUsage: 'critical, digitalSignature, keyCertSign' }),
    client(untrustedCa, 'expired-and-untrusted', expired),
    client(ca, 'expired-and-eku', { ...expired, extendedKeyUsage: 'serverAuth' }),
    client(ca, 'critical-and-eku', { extendedKeyUsage: 'serverAuth', extraExtensions: [unknownCritical] }),
    client(ca, 'expired-and-revoked', expired),
    issueLeaf(dir, ca, { name: 'server', subjectAltName: 'DNS:localhost,IP:127.0.0.1', extendedKeyUsage: 'serverAuth' }),
  ]);
  const leaf = (name: string): Leaf => {
    const found = leaves.find((l) => l.certPath.endsWith(`${path.sep}${name}.pem`));
    assert.ok(found, `no leaf ${name}`);
    return found;
  };
  await Promise.all([revoke(dir, ca, leaf('revoked')), revoke(dir, ca, leaf('expired-and-revoked'))]);
  crlPems = await Promise.all([ca, intermediate, pathLenZero, belowPathLen, rsaIntermediate, notCa, noKeyCertSign].map((c) => crl(dir, c)));
  caPem = ca.certPem;
  server = leaf('server');
  const valid = leaf('valid');

  const add = (name: string, c: Case): void => {
    cases.set(name, c);
  };
  const cert = (name: string, servedBy: readonly Variant[], faults: readonly FaultKind[], client: Case['client'] = {}): void =>
    add(name, { leaf: leaf(name), servedBy, faults, client });
  cert('valid', all, []);
  add('no-cert', { servedBy: ['accept-any-cert', 'cert-optional'] });
  cert('via-intermediate', all, []);
  add('intermediate-not-sent', { leaf: leaf('via-intermediate'), client: { sendChain: false }, servedBy: anyCert, faults: ['untrusted'] });
  for (const name of ['expired', 'not-yet-valid']) cert(name, [...anyCert, 'ignore-expiry'], ['validity']);
  for (const name of ['eku-server-auth', 'eku-code-signing', 'ku-key-encipherment', 'ku-key-agreement']) cert(name, [...anyCert, 'ignore-eku'], ['usage']);
  cert('leaf-is-ca', ['ignore-svid-rules'], []);
  cert('unknown-critical', [...anyCert, 'accept-unknown-critical-extension'], ['critical-extension']);
  for (const name of ['untrusted', 'impostor', 'self-signed']) cert(name, anyCert, ['untrusted']);
  add('bad-signature', { leaf: { ...valid, certPem: corruptSignature(valid.certPem) }, servedBy: anyCert, faults: ['untrusted'] });
  for (const name of ['pathlen-exceeded', 'issuer-not-ca', 'issuer-without-keycertsign']) cert(name, anyCert, ['chain']);
  for (const name of ['rsa-1024', 'sha1', 'md5']) cert(name, [...anyCert, 'weak-crypto'], ['weak-crypto'], { legacy: true });
  cert('revoked', [...anyCert, 'ignore-crl'], ['revocation']);
  for (const name of ['wrong-id', 'wrong-trust-domain']) cert(name, ['no-spiffe-authorization'], []);
  for (const name of ['two-uri-sans', 'svid-is-ca', 'keycertsign-on-leaf']) cert(name, ['ignore-svid-rules'], []);
  for (const name of ['non-spiffe-uri', 'root-path']) cert(name, [], []);
  add('tls12', { leaf: valid, client: { maxVersion: 'TLSv1.2' }, servedBy: ['allow-tls12'] });
  add('tls11', { leaf: valid, client: { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', legacy: true }, servedBy: ['allow-legacy-tls'] });
  add('tls10', { leaf: valid, client: { minVersion: 'TLSv1', maxVersion: 'TLSv1', legacy: true }, servedBy: ['allow-legacy-tls'] });
  cert('expired-and-untrusted', anyCert, ['untrusted', 'validity']);
  cert('expired-and-eku', anyCert, ['validity', 'usage']);
  cert('critical-and-eku', anyCert, ['usage', 'critical-extension']);
  cert('expired-and-revoked', anyCert, ['validity', 'revocation']);

  await Promise.all(
    (['http2', 'grpc', 'tls'] as const).flatMap((protocol) =>
      variants.map(async (variant) => {
        const running = await startReferenceServer(protocol, {
          clientCaPem: caPem,
          crlPems,
          certPem: server.certPem,
          keyPem: server.keyPem,
          allowedSpiffeIds: [clientSpiffeId],
          flaws: variant === 'correct' ? [] : [variant],
        });
        servers.set(`${protocol}/${variant}`, running);
      }),
    ),
  );
});

after(async () => {
  await Promise.all([...servers.values()].map((s) => s.close()));
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

function caseNamed(name: string): Case {
  const found = cases.get(name);
  assert.ok(found, `no case ${name}`);
  return found;
}

/** One options object per case, so the client's secure context is built once (reference-clients caches by identity). */
const optionsByCase = new WeakMap<Case, ClientOptions>();

function clientOptions(c: Case): ClientOptions {
  let opts = optionsByCase.get(c);
  if (opts === undefined) {
    opts = { serverCaPem: caPem, ...(c.leaf ? { identity: c.leaf } : {}), ...c.client };
    optionsByCase.set(c, opts);
  }
  return opts;
}

type Protocol = RunningServer['protocol'];

/** "served", or how the client was refused. */
async function attempt(protocol: Protocol, variant: Variant, c: Case): Promise<string> {
  const running = servers.get(`${protocol}/${variant}`);
  assert.ok(running, `no ${variant} ${protocol} server`);
  const opts = clientOptions(c);
  switch (protocol) {
    case 'http2': {
      const outcome = await h2Get(running.port, opts);
      if (!outcome.ok) return outcome.error;
      return outcome.value.status === 200 ? 'served' : `HTTP ${outcome.value.status}`;
    }
    case 'grpc': {
      const outcome = await grpcCall(running.port, opts);
      if (!outcome.ok) return outcome.error;
      return outcome.value.code === status.OK ? 'served' : `gRPC status ${outcome.value.code}`;
    }
    case 'tls': {
      const outcome = await rawHello(running.port, opts);
      if (!outcome.ok) return outcome.error;
      return outcome.value === rawTlsReply ? 'served' : `replied ${JSON.stringify(outcome.value)}`;
    }
  }
}

describe('chain audit', () => {
  test('finds every fault of each defective chain, and none in a sound one', () => {
    const trust: TrustConfig = { anchors: [new X509Certificate(caPem)], crls: crlPems.map(parseCrl) };
    const wrong: string[] = [];
    for (const [name, c] of cases) {
      if (c.leaf === undefined || c.faults === undefined) continue;
      const sent = c.client?.sendChain === false ? c.leaf.certPem : c.leaf.certPem + c.leaf.chainPem;
      const found = [...new Set(auditChain(pemCertificates(sent).map((pem) => new X509Certificate(pem)), trust).map((f) => f.kind))];
      if (JSON.stringify(found.sort()) !== JSON.stringify([...c.faults].sort())) wrong.push(`${name}: found [${found.join(', ')}], expected [${c.faults.join(', ')}]`);
    }
    assert.deepEqual(wrong, []);
  });
});

describe('verification decision', () => {
  const leaf = (): X509Certificate => new X509Certificate(caseNamed('valid').leaf?.certPem ?? '');
  test("a tolerated OpenSSL error does not hide a fault it was reported instead of", () => {
    // What OpenSSL 3.0 reports for an expired certificate from an untrusted CA: the last error only.
    const faults = [{ kind: 'untrusted', detail: 'untrusted' }, { kind: 'validity', detail: 'expired' }] as const;
    assert.deepEqual(judge([leaf()], 'CERT_HAS_EXPIRED', faults, ['ignore-expiry']), { allowed: false, reason: 'untrusted' });
  });
  test('an OpenSSL error the audit cannot explain is not tolerated', () => {
    assert.deepEqual(judge([leaf()], 'CERT_REVOKED', [{ kind: 'validity', detail: 'expired' }], ['ignore-expiry']), {
      allowed: false,
      reason: 'OpenSSL refused the certificate: CERT_REVOKED',
    });
  });
  test('UNSPECIFIED is tolerated only when the audit names a tolerated cause', () => {
    const critical = [{ kind: 'critical-extension', detail: 'x' }] as const;
    assert.equal(judge([leaf()], 'UNSPECIFIED', critical, ['accept-unknown-critical-extension']).allowed, true);
    assert.equal(judge([leaf()], 'UNSPECIFIED', [], ['accept-unknown-critical-extension']).allowed, false);
  });
});

describe('HTTP/2: every flaw against every defect', () => {
  for (const variant of variants) {
    test(`${variant} serves exactly the clients it must`, async () => {
      const wrong: string[] = [];
      await Promise.all(
        [...cases].map(async ([name, c]) => {
          const result = await attempt('http2', variant, c);
          const mustServe = c.servedBy.includes(variant);
          if ((result === 'served') !== mustServe) wrong.push(`${name}: ${mustServe ? 'must be served' : 'must be refused'}, got ${result}`);
          if (result === 'timeout') wrong.push(`${name}: the server hung`);
        }),
      );
      assert.deepEqual(wrong.sort(), []);
    });
  }
});

/** Each flaw's own defect, and an unrelated one it must still refuse. */
const pairs: ReadonlyArray<[ServerFlaw, string, string]> = [
  ['accept-any-cert', 'untrusted', 'wrong-id'],
  ['cert-optional', 'no-cert', 'untrusted'],
  ['allow-tls12', 'tls12', 'tls11'],
  ['allow-legacy-tls', 'tls10', 'tls12'],
  ['ignore-eku', 'eku-server-auth', 'issuer-not-ca'],
  ['ignore-expiry', 'expired', 'untrusted'],
  ['ignore-crl', 'revoked', 'expired'],
  ['accept-unknown-critical-extension', 'unknown-critical', 'critical-and-eku'],
  ['weak-crypto', 'md5', 'expired'],
  ['no-spiffe-authorization', 'wrong-trust-domain', 'two-uri-sans'],
  ['ignore-svid-rules', 'two-uri-sans', 'wrong-id'],
];

for (const protocol of ['grpc', 'tls'] as const) {
  describe(`${protocol}: each flaw lets its defect through and nothing else`, () => {
    for (const [flaw, own, unrelated] of pairs) {
      test(`${flaw}: serves ${own}, refuses ${unrelated}; the correct server refuses both`, async () => {
        const [ownOnFlaw, unrelatedOnFlaw, ownOnCorrect, unrelatedOnCorrect, validOnFlaw] = await Promise.all([
          attempt(protocol, flaw, caseNamed(own)),
          attempt(protocol, flaw, caseNamed(unrelated)),
          attempt(protocol, 'correct', caseNamed(own)),
          attempt(protocol, 'correct', caseNamed(unrelated)),
          attempt(protocol, flaw, caseNamed('valid')),
        ]);
        assert.equal(ownOnFlaw, 'served');
        assert.notEqual(unrelatedOnFlaw, 'served');
        assert.notEqual(ownOnCorrect, 'served');
        assert.notEqual(unrelatedOnCorrect, 'served');
        assert.equal(validOnFlaw, 'served');
        for (const result of [unrelatedOnFlaw, ownOnCorrect, unrelatedOnCorrect]) assert.notEqual(result, 'timeout');
      });
    }
  });
}

describe('refusal styles', () => {
  test('allow-legacy-tls refuses TLS 1.2 by offering TLS 1.1, which the client gives up on', async () => {
    const running = servers.get('http2/allow-legacy-tls');
    assert.ok(running);
    assert.deepEqual(await handshake(running.port, clientOptions(caseNamed('tls12'))), { ok: false, error: 'ERR_SSL_UNSUPPORTED_PROTOCOL' });
  });
  test('a verification flaw closes silently on a missing certificate: no certificate_required alert', async () => {
    assert.equal(await attempt('tls', 'correct', caseNamed('no-cert')), 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    assert.equal(await attempt('tls', 'ignore-expiry', caseNamed('no-cert')), 'closed without a reply');
  });
  test('SPIFFE refusals are 403 and PERMISSION_DENIED, after a completed handshake', async () => {
    assert.equal(await attempt('http2', 'correct', caseNamed('svid-is-ca')), 'HTTP 403');
    assert.equal(await attempt('grpc', 'correct', caseNamed('two-uri-sans')), `gRPC status ${status.PERMISSION_DENIED}`);
  });
});
