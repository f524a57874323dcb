import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { statSync, existsSync } from 'node:fs';
import { cases } from '../fixtures/cases.js';
import { findCase, type ConformanceCase } from '../src/catalogue/case.js';
import { createRunPki, loopbackHosts, PrivateDir, type RunPki } from '../src/pki/index.js';

/** Mints a case's credential exactly as the run does, and parses it with Node's own X.509 parser. */
async function mint(pki: RunPki, id: string): Promise<X509Certificate> {
  const spec = findCase(cases, id).credential;
  assert.equal(spec.kind, 'defect', `${id} should be a defect case`);
  const template = spec.kind === 'defect' ? spec.apply(pki.validClientTemplate(), pki.context) : pki.validClientTemplate();
  return new X509Certificate((await pki.issue(template)).certPem);
}

describe('run PKI', () => {
  let pki: RunPki;
  let ca: X509Certificate;
  let valid: X509Certificate;

  before(async () => {
    pki = await createRunPki({ clientSpiffeId: 'spiffe://example.org/client', trustedCa: 'generate', serverHosts: loopbackHosts });
    assert.ok(pki.trustedCa && pki.server, 'a generated PKI has a CA and a server leaf');
    ca = new X509Certificate(pki.trustedCa.certPem);
    valid = new X509Certificate((await pki.issue(pki.validClientTemplate())).certPem);
  });

  it('makes an EC P-256 CA that is a CA', () => {
    assert.equal(ca.ca, true);
    assert.equal(ca.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(ca.subject, ca.issuer);
  });

  it('issues a server leaf for localhost and 127.0.0.1 with serverAuth, signed by the CA', () => {
    assert.ok(pki.server);
    const server = new X509Certificate(pki.server.certPem);
    assert.ok(server.verify(ca.publicKey));
    assert.equal(server.checkHost('localhost'), 'localhost');
    assert.equal(server.checkIP('127.0.0.1'), '127.0.0.1');
    assert.deepEqual(server.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(server.ca, false);
  });

  it('issues a valid client leaf: clientAuth, the SPIFFE ID, signed by the CA, valid now', () => {
    assert.ok(valid.verify(ca.publicKey));
    assert.equal(valid.issuer, ca.subject);
    assert.deepEqual(valid.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    assert.equal(valid.subjectAltName, 'URI:spiffe://example.org/client');
    assert.equal(valid.ca, false);
    const now = Date.now();
    assert.ok(Date.parse(valid.validFrom) < now && now < Date.parse(valid.validTo));
  });

  it('untrusted-ca: signed by another CA, not by the trusted one', async () => {
    const cert = await mint(pki, 'x509/chain/untrusted-ca');
    assert.equal(cert.verify(ca.publicKey), false);
    assert.ok(cert.verify(new X509Certificate(pki.untrustedCa.certPem).publicKey));
    assert.notEqual(cert.issuer, ca.subject);
  });

  it('self-signed: issuer is the subject and the leaf verifies with its own key', async () => {
    const cert = await mint(pki, 'x509/chain/self-signed');
    assert.equal(cert.issuer, cert.subject);
    assert.ok(cert.verify(cert.publicKey));
    assert.equal(cert.verify(ca.publicKey), false);
  });

  it('eku-server-auth-only: serverAuth and nothing else, otherwise valid', async () => {
    const cert = await mint(pki, 'x509/usage/eku-server-auth-only');
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.ok(cert.verify(ca.publicKey));
    assert.equal(cert.subjectAltName, valid.subjectAltName);
  });

  it('expired: notAfter lies in the past, otherwise valid', async () => {
    const cert = await mint(pki, 'x509/validity/expired');
    assert.ok(Date.parse(cert.validTo) < Date.now());
    assert.ok(cert.verify(ca.publicKey));
    assert.deepEqual(cert.keyUsage, valid.keyUsage);
  });

  it('wrong-id: a different SPIFFE ID, otherwise valid', async () => {
    const cert = await mint(pki, 'spiffe/wrong-id');
    assert.equal(cert.subjectAltName, 'URI:spiffe://example.org/other');
    assert.ok(cert.verify(ca.publicKey));
  });

  it('every leaf gets a fresh positive serial number', async () => {
    const a = new X509Certificate((await pki.issue(pki.validClientTemplate())).certPem);
    assert.notEqual(a.serialNumber, valid.serialNumber);
    assert.ok(Number.parseInt(a.serialNumber.slice(0, 2), 16) < 0x80);
  });
});

describe('catalogue', () => {
  it('has unique ids, each with a rule and a title', () => {
    const ids = cases.map((c: ConformanceCase) => c.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const c of cases) {
      assert.match(c.rule, /^(RFC \d+ [\d.]+|SPIFFE [\w-]+ [\d.]+)$/, `${c.id} cites a rule`);
      assert.ok(c.title.length > 10, `${c.id} has a title`);
    }
  });

  it('explains an unknown id', () => {
    assert.throws(() => findCase(cases, 'x509/nope'), /unknown case "x509\/nope"; known cases: x509\/valid/);
  });
});

describe('private dir', () => {
  let dir: PrivateDir;
  after(() => dir.remove());

  it('is 0700, holds 0600 files, and is removed', () => {
    dir = new PrivateDir();
    const file = dir.write('client.key', 'secret');
    assert.equal(statSync(dir.path).mode & 0o777, 0o700);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    dir.remove();
    assert.equal(existsSync(dir.path), false);
  });
});
