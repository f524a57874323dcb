import 'reflect-metadata';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { cases } from '../fixtures/cases.js';
import { findCase } from '../src/catalogue/case.js';
import {
  createRunPki, importAuthority, loopbackHosts, PrivateDir, writeTrustedCaCrl,
  type Authority, type IssuedLeaf, type LeafTemplate, type RunPki, type Signer,
} from '../src/pki/index.js';

/** Mints a case's credential exactly as the run does, and parses it with Node's own X.509 parser. */
async function mint(pki: RunPki, id: string): Promise<X509Certificate> {
  const found = findCase(cases, id);
  assert.equal(found.kind, 'client', `${id} should be a client case`);
  const spec = found.kind === 'client' ? found.credential : { kind: 'none' as const };
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

/**
 * Runs `openssl verify` on a leaf the way a server would see it: the run's
 * trusted CA as the only anchor, the chain the leaf sends as untrusted
 * intermediates, and optionally CRLs for every CA (-crl_check_all, which is
 * what Node's `crl` option turns on). Returns OpenSSL's error messages in
 * order, or ['OK'].
 */
class OpensslVerify {
  readonly #dir = new PrivateDir('mtlspec-pki-test-');
  readonly #root: string;
  #files = 0;

  constructor(rootPem: string) {
    this.#root = this.#dir.write('root.pem', rootPem);
  }

  verify(leaf: IssuedLeaf, options: { crls?: readonly string[]; authLevel?: number } = {}): string[] {
    const n = ++this.#files;
    const args = ['verify', '-CAfile', this.#root];
    if (leaf.chainPems.length > 0) args.push('-untrusted', this.#dir.write(`chain-${n}.pem`, leaf.chainPems.join('')));
    if (options.crls) args.push('-crl_check_all', '-CRLfile', this.#dir.write(`crls-${n}.pem`, options.crls.join('')));
    if (options.authLevel !== undefined) args.push('-auth_level', String(options.authLevel));
    args.push(this.#dir.write(`leaf-${n}.pem`, leaf.certPem));
    const result = spawnSync('openssl', args, { encoding: 'utf8' });
    const output = `${result.stdout}${result.stderr}`;
    if (result.status === 0 && /: OK$/m.test(output)) return ['OK'];
    return [...output.matchAll(/^error \d+ at \d+ depth lookup: (.+)$/gm)].map((match) => match[1] ?? '');
  }

  write(name: string, contents: string): string {
    return this.#dir.write(name, contents);
  }

  get directory(): string {
    return this.#dir.path;
  }

  remove(): void {
    this.#dir.remove();
  }
}

function parsed(pem: string): { node: X509Certificate; peculiar: x509.X509Certificate; asn: Certificate } {
  const node = new X509Certificate(pem);
  return { node, peculiar: new x509.X509Certificate(pem), asn: AsnConvert.parse(node.raw, Certificate) };
}

function publicKeyOf(authority: Authority | undefined): KeyObject {
  assert.ok(authority, 'the authority exists in this run');
  return new X509Certificate(authority.certPem).publicKey;
}

function keyIdentifiers(pem: string): { ski: string | undefined; aki: string | undefined } {
  const cert = new x509.X509Certificate(pem);
  return { ski: cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId, aki: cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId };
}

describe('run PKI: authorities, signatures, extensions and revocation', () => {
  let pki: RunPki;
  let trustedKey: KeyObject;
  let valid: LeafTemplate;
  let openssl: OpensslVerify;
  let crls: readonly string[];
  const issue = (change: Partial<LeafTemplate>): Promise<IssuedLeaf> => pki.issue({ ...valid, ...change });

  before(async () => {
    pki = await createRunPki({ clientSpiffeId: 'spiffe://example.org/client', trustedCa: 'generate' });
    assert.ok(pki.trustedCa);
    trustedKey = publicKeyOf(pki.trustedCa);
    valid = pki.validClientTemplate();
    openssl = new OpensslVerify(pki.trustedCa.certPem);
    crls = await pki.crls();
  });
  after(() => openssl.remove());

  it('a valid leaf verifies, with and without checking every CRL', async () => {
    const leaf = await issue({});
    assert.deepEqual(leaf.chainPems, []);
    assert.deepEqual(openssl.verify(leaf), ['OK']);
    assert.deepEqual(openssl.verify(leaf, { crls }), ['OK']);
  });

  it('impostor-ca: the trusted CA\'s exact name and a look-alike key identifier, but its own key', async () => {
    const impostor = await pki.authority('impostor-ca');
    assert.ok(impostor && pki.trustedCa);
    assert.ok(Buffer.from(impostor.certificate.subjectName.toArrayBuffer()).equals(Buffer.from(pki.trustedCa.certificate.subjectName.toArrayBuffer())));
    const leaf = await issue({ signer: 'impostor-ca' });
    const { node } = parsed(leaf.certPem);
    assert.equal(node.issuer, new X509Certificate(pki.trustedCa.certPem).subject);
    const trusted = keyIdentifiers(pki.trustedCa.certPem);
    const ids = keyIdentifiers(leaf.certPem);
    assert.equal(ids.aki, keyIdentifiers(impostor.certPem).ski);
    assert.equal(ids.aki?.length, trusted.ski?.length);
    assert.notEqual(ids.aki, trusted.ski);
    assert.equal(node.verify(trustedKey), false);
    assert.ok(node.verify(publicKeyOf(impostor)));
    assert.deepEqual(leaf.chainPems, []);
    assert.deepEqual(openssl.verify(leaf), ['unable to get local issuer certificate']);
  });

  it('intermediate: a proper CA under the trusted one, sent after the leaf; verifies, CRLs checked too', async () => {
    const intermediate = await pki.authority('intermediate');
    assert.ok(intermediate);
    const leaf = await issue({ signer: 'intermediate' });
    assert.deepEqual(leaf.chainPems, [intermediate.certPem]);
    const ca = parsed(intermediate.certPem).peculiar;
    const basic = ca.getExtension(x509.BasicConstraintsExtension);
    assert.ok(basic?.ca && basic.critical);
    const usage = ca.getExtension(x509.KeyUsagesExtension);
    assert.equal(usage?.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    assert.ok(usage?.critical);
    assert.ok(new X509Certificate(intermediate.certPem).verify(trustedKey));
    assert.ok(new X509Certificate(leaf.certPem).verify(publicKeyOf(intermediate)));
    assert.equal(keyIdentifiers(leaf.certPem).aki, keyIdentifiers(intermediate.certPem).ski);
    assert.deepEqual(openssl.verify(leaf), ['OK']);
    assert.deepEqual(openssl.verify(leaf, { crls }), ['OK']);
    assert.deepEqual(openssl.verify(leaf, { crls: [crls[0] ?? ''] }), ['unable to get certificate CRL'], 'the intermediate needs its own CRL');
    assert.deepEqual(openssl.verify(await issue({ signer: 'intermediate', sendChain: false })), ['unable to get local issuer certificate']);
  });

  it('intermediate-below-pathlen-0: sends [B, A] and breaks A\'s pathLenConstraint 0', async () => {
    const leaf = await issue({ signer: 'intermediate-below-pathlen-0' });
    const [below, pathLenZero] = leaf.chainPems.map((pem) => parsed(pem).peculiar);
    assert.equal(leaf.chainPems.length, 2);
    assert.equal(pathLenZero?.getExtension(x509.BasicConstraintsExtension)?.pathLength, 0);
    assert.equal(below?.issuer, pathLenZero?.subject);
    assert.deepEqual(openssl.verify(leaf), ['path length constraint exceeded']);
    assert.deepEqual(openssl.verify(leaf, { crls }), ['path length constraint exceeded']);
  });

  it('name-constrained-intermediate: a critical nameConstraints extension permitting example.com; a leaf naming localhost breaks it', async () => {
    const issuer = parsed((await issue({ signer: 'name-constrained-intermediate' })).chainPems[0] ?? '').peculiar;
    const constraints = issuer.extensions.find((e) => e.type === '2.5.29.30');
    assert.equal(constraints?.critical, true);
    assert.deepEqual(openssl.verify(await issue({ signer: 'name-constrained-intermediate', dnsNames: ['localhost'] })), ['permitted subtree violation']);
    assert.deepEqual(openssl.verify(await issue({ signer: 'name-constrained-intermediate', dnsNames: ['api.example.com'] })), ['OK'], 'a name inside the subtree is fine');
  });

  it('issuer-not-ca: CA:FALSE with keyCertSign signs the leaf', async () => {
    const leaf = await issue({ signer: 'issuer-not-ca' });
    const issuer = parsed(leaf.chainPems[0] ?? '').peculiar;
    assert.equal(issuer.getExtension(x509.BasicConstraintsExtension)?.ca, false);
    assert.ok(((issuer.getExtension(x509.KeyUsagesExtension)?.usages ?? 0) & x509.KeyUsageFlags.keyCertSign) !== 0);
    assert.ok(new X509Certificate(leaf.certPem).verify(publicKeyOf(await pki.authority('issuer-not-ca'))));
    assert.deepEqual(openssl.verify(leaf), ['invalid CA certificate']);
  });

  it('issuer-without-keycertsign: CA:TRUE, keyUsage digitalSignature only', async () => {
    const leaf = await issue({ signer: 'issuer-without-keycertsign' });
    const issuer = parsed(leaf.chainPems[0] ?? '').peculiar;
    assert.equal(issuer.getExtension(x509.BasicConstraintsExtension)?.ca, true);
    assert.equal(issuer.getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.digitalSignature);
    // OpenSSL 3 stops counting it as a CA, then names the missing bit.
    assert.deepEqual(openssl.verify(leaf), ['invalid CA certificate', 'key usage does not include certificate signing']);
  });

  it('rsa-intermediate: an RSA-2048 CA under the EC root; its leaves verify', async () => {
    const rsa = await pki.authority('rsa-intermediate');
    assert.equal(publicKeyOf(rsa).asymmetricKeyDetails?.modulusLength, 2048);
    const leaf = await issue({ signer: 'rsa-intermediate' });
    assert.equal(parsed(leaf.certPem).asn.signatureAlgorithm.algorithm, '1.2.840.113549.1.1.11');
    assert.deepEqual(openssl.verify(leaf, { crls }), ['OK']);
  });

  it('MD5: md5WithRSAEncryption, a genuine signature that OpenSSL refuses as too weak', async () => {
    const leaf = await issue({ signer: 'rsa-intermediate', signatureHash: 'MD5' });
    const { node, asn } = parsed(leaf.certPem);
    assert.equal(asn.signatureAlgorithm.algorithm, '1.2.840.113549.1.1.4');
    assert.equal(asn.tbsCertificate.signature.algorithm, '1.2.840.113549.1.1.4');
    assert.ok(node.verify(publicKeyOf(await pki.authority('rsa-intermediate'))));
    assert.deepEqual(openssl.verify(leaf), ['OK']);
    assert.deepEqual(openssl.verify(leaf, { authLevel: 1 }), ['CA signature digest algorithm too weak']);
    await assert.rejects(issue({ signatureHash: 'MD5' }), /MD5 exists only as md5WithRSAEncryption/);
  });

  it('SHA-1: ecdsa-with-SHA1 from the EC CA, sha1WithRSAEncryption from the RSA one', async () => {
    const ec = await issue({ signatureHash: 'SHA-1' });
    assert.equal(parsed(ec.certPem).asn.signatureAlgorithm.algorithm, '1.2.840.10045.4.1');
    assert.ok(parsed(ec.certPem).node.verify(trustedKey));
    assert.deepEqual(openssl.verify(ec), ['OK']);
    assert.deepEqual(openssl.verify(ec, { authLevel: 1 }), ['CA signature digest algorithm too weak']);
    const rsa = await issue({ signer: 'rsa-intermediate', signatureHash: 'SHA-1' });
    assert.equal(parsed(rsa.certPem).asn.signatureAlgorithm.algorithm, '1.2.840.113549.1.1.5');
    assert.deepEqual(openssl.verify(rsa, { authLevel: 1 }), ['CA signature digest algorithm too weak']);
  });

  it('corruptSignature: still parses, no longer verifies (ECDSA and RSA)', async () => {
    for (const signer of ['trusted-ca', 'rsa-intermediate'] as const) {
      const leaf = await issue({ signer, corruptSignature: true });
      const { node } = parsed(leaf.certPem);
      assert.equal(node.verify(signer === 'trusted-ca' ? trustedKey : publicKeyOf(await pki.authority(signer))), false, signer);
      assert.deepEqual(openssl.verify(leaf), ['certificate signature failure'], signer);
    }
  });

  it('extraExtensions: added verbatim; an unknown critical one is refused', async () => {
    const leaf = await issue({ extraExtensions: [{ oid: '1.3.6.1.4.1.55555.1', critical: true, valueHex: '0500' }] });
    const extension = parsed(leaf.certPem).peculiar.getExtension('1.3.6.1.4.1.55555.1');
    assert.ok(extension?.critical);
    assert.equal(Buffer.from(extension.value).toString('hex'), '0500');
    assert.ok(new X509Certificate(leaf.certPem).verify(trustedKey));
    assert.deepEqual(openssl.verify(leaf), ['unhandled critical extension']);
    await assert.rejects(issue({ extraExtensions: [{ oid: '1.2.3', critical: false, valueHex: 'nothex' }] }), /not hex bytes/);
  });

  it('revoked: the CA-derived serial, listed by the trusted CA\'s CRL, in this run and the next with the same CA', async () => {
    assert.ok(pki.trustedCa);
    const leaf = await issue({ revoked: true });
    assert.deepEqual(openssl.verify(leaf), ['OK']);
    assert.deepEqual(openssl.verify(leaf, { crls }), ['certificate revoked']);
    const ca = await importAuthority(pki.trustedCa.certPem, pki.trustedCa.key.privateKeyPem);
    const nextRun = await createRunPki({ clientSpiffeId: 'spiffe://example.org/client', trustedCa: ca });
    const nextLeaf = await nextRun.issue({ ...nextRun.validClientTemplate(), revoked: true });
    assert.equal(new X509Certificate(nextLeaf.certPem).serialNumber, new X509Certificate(leaf.certPem).serialNumber);
    assert.deepEqual(openssl.verify(nextLeaf, { crls: [crls[0] ?? ''] }), ['certificate revoked']);
    await assert.rejects(issue({ revoked: true, signer: 'intermediate' }), /revoked leaf must be signed by trusted-ca/);
  });

  it('CRLs: the trusted CA\'s lists the revoked serial; every CA below it has an empty one; all parse', () => {
    assert.equal(crls.length, 8);
    const texts = crls.map((crl, i) => execFileSync('openssl', ['crl', '-noout', '-text', '-in', openssl.write(`crl-${i}.pem`, crl)], { encoding: 'utf8' }));
    assert.match(texts[0] ?? '', /Issuer: CN = mtlspec test CA, O = mtlspec/);
    assert.match(texts[0] ?? '', /Serial Number: [0-9A-F]{32}/);
    assert.match(texts[0] ?? '', /Next Update: .*/);
    for (const text of texts.slice(1)) assert.match(text, /No Revoked Certificates/);
    const issuers = texts.map((text) => /Issuer: (.+)/.exec(text)?.[1]);
    assert.equal(new Set(issuers).size, 8, 'one CRL per CA');
    for (const crl of crls) assert.match(crl, /^-----BEGIN X509 CRL-----\n[\s\S]+\n-----END X509 CRL-----\n$/);
  });

  it('writes the trusted CA\'s CRL to a file', async () => {
    const file = path.join(openssl.directory, 'trusted.crl.pem');
    await writeTrustedCaCrl(pki, file);
    assert.equal(readFileSync(file, 'utf8'), crls[0]);
    assert.equal(statSync(file).mode & 0o777, 0o644);
  });

  it('every key algorithm: a leaf under the trusted CA, and a self-signed one (RSA-PSS, Ed25519 signatures)', async () => {
    for (const key of ['ec-p256', 'ec-p384', 'rsa-2048', 'rsa-1024', 'rsa-pss-2048', 'ed25519'] as const) {
      const leaf = await issue({ key });
      assert.deepEqual(openssl.verify(leaf), ['OK'], key);
      const self = parsed((await issue({ key, signer: 'self' })).certPem);
      assert.ok(self.node.verify(self.node.publicKey), key);
    }
  });

  it('issues a leaf in well under 2 ms (the key is pooled, extensions and names are built once)', async (t) => {
    await issue({});
    const count = 200;
    const started = performance.now();
    for (let i = 0; i < count; i++) await issue({});
    const perLeaf = (performance.now() - started) / count;
    t.diagnostic(`${perLeaf.toFixed(3)} ms per leaf`);
    // The goal is 2 ms; the bound is looser so a loaded CI machine does not flake.
    assert.ok(perLeaf < 5, `${perLeaf} ms per leaf`);
  });
});

describe('run PKI: which signers exist', () => {
  it('with only a client credential: the strangers and self, nothing under the trusted CA', async () => {
    const pki = await createRunPki({ clientSpiffeId: 'spiffe://example.org/client', trustedCa: 'none' });
    const template = pki.validClientTemplate();
    const possible = allSigners.filter((signer) => pki.canIssue({ ...template, signer }));
    assert.deepEqual(possible, ['untrusted-ca', 'self']);
    assert.deepEqual(await pki.crls(), []);
    await assert.rejects(pki.issue(template), /needs the key of the CA the target trusts/);
    await assert.rejects(writeTrustedCaCrl(pki, '/nonexistent/crl.pem'), /no CRL to write/);
  });

  it('each authority is made once per run, on first use, even when asked for twice at once', async () => {
    const pki = await createRunPki({ clientSpiffeId: 'spiffe://example.org/client', trustedCa: 'generate' });
    const template = { ...pki.validClientTemplate(), signer: 'intermediate' as const };
    pki.prepare([template]);
    const [first, second] = await Promise.all([pki.issue(template), pki.issue(template)]);
    assert.ok(first.chainPems[0]);
    assert.equal(second.chainPems[0], first.chainPems[0], 'both leaves name the same intermediate');
    assert.equal((await pki.authority('intermediate')).certPem, first.chainPems[0]);
    assert.equal(await pki.crls(), await pki.crls());
  });

  it('with the user\'s CA: every signer, the impostor copying that CA\'s name', async () => {
    const generated = await createRunPki({ clientSpiffeId: 'spiffe://example.org/client', trustedCa: 'none' });
    const userCa = await importAuthority(generated.untrustedCa.certPem, generated.untrustedCa.key.privateKeyPem);
    const pki = await createRunPki({ clientSpiffeId: 'spiffe://example.org/client', trustedCa: userCa });
    const template = pki.validClientTemplate();
    assert.deepEqual(allSigners.filter((signer) => pki.canIssue({ ...template, signer })), allSigners);
    assert.equal((await pki.authority('impostor-ca')).name, userCa.name);
    const leaf = new X509Certificate((await pki.issue({ ...template, signer: 'intermediate' })).certPem);
    assert.equal(leaf.issuer, 'CN=mtlspec intermediate CA\nO=mtlspec');
  });
});

const allSigners: readonly Signer[] = [
  'trusted-ca', 'untrusted-ca', 'impostor-ca', 'intermediate', 'intermediate-below-pathlen-0',
  'issuer-not-ca', 'issuer-without-keycertsign', 'rsa-intermediate', 'self',
];

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
