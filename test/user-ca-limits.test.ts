import 'reflect-metadata';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { cases } from '../fixtures/cases.js';
import { findClientCase } from '../src/catalogue/case.js';
import { caKeyUsage, selfSignedAuthority } from '../src/pki/authority.js';
import { createRootAuthority, createRunPki, importAuthority, type Authority, type KeyAlgorithm, type LeafTemplate, type RunPki } from '../src/pki/index.js';
import { keyMaterial } from '../src/pki/keys.js';

/**
 * What a user's CA limits: how long what mtlspec mints under it stays valid
 * (about an hour, since such a CA may be a production one), and which cases
 * its key can sign at all (skipped with the reason, never failed).
 */
const minute = 60_000;
const spiffeId = 'spiffe://example.org/client';
const longAgo = { notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 30 * 86_400_000) };

/** A CA as a user would hand it over: certificate and key PEM, imported as the CLI imports them. */
async function userCa(algorithm: KeyAlgorithm): Promise<Authority> {
  const made = await createRootAuthority('CN=user CA, O=acme', longAgo, algorithm);
  return importAuthority(made.certPem, made.key.privateKeyPem);
}

/** A CA whose key is a genuine RSASSA-PSS key (id-RSASSA-PSS), not a plain RSA key used for PSS. */
async function rsaPssUserCa(): Promise<Authority> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
  const made = selfSignedAuthority({ subject: 'CN=user PSS CA, O=acme', key: keyMaterial('rsa-pss-2048', privateKey, publicKey), basicConstraints: { ca: true }, keyUsage: caKeyUsage }, longAgo);
  return importAuthority(made.certPem, made.key.privateKeyPem);
}

function templateOf(pki: RunPki, id: string): LeafTemplate {
  const found = findClientCase(cases, id);
  if (found.credential.kind !== 'defect') return pki.validClientTemplate();
  return found.credential.apply(pki.validClientTemplate(), pki.context);
}

async function windowOf(pki: RunPki, id: string): Promise<{ notBefore: number; notAfter: number; cert: X509Certificate }> {
  const cert = new X509Certificate((await pki.issue(templateOf(pki, id))).certPem);
  return { notBefore: Date.parse(cert.validFrom), notAfter: Date.parse(cert.validTo), cert };
}

describe("what is minted under a user's CA is valid for about an hour", () => {
  it('valid leaves and intermediates: from 5 minutes back to an hour ahead', async () => {
    const now = Date.now();
    const pki = await createRunPki({ clientSpiffeId: spiffeId, trustedCa: await userCa('ec-p256') });
    for (const id of ['x509/valid', 'x509/chain/intermediate-sent', 'x509/crypto/md5-signature', 'x509/chain/pathlen-exceeded']) {
      const { notBefore, notAfter } = await windowOf(pki, id);
      assert.ok(notAfter <= now + 61 * minute && notAfter >= now + 59 * minute, `${id}: notAfter ${new Date(notAfter).toISOString()}`);
      assert.ok(notBefore >= now - 6 * minute && notBefore <= now, `${id}: notBefore ${new Date(notBefore).toISOString()}`);
    }
    for (const signer of ['intermediate', 'rsa-intermediate', 'impostor-ca'] as const) {
      const ca = new X509Certificate((await pki.authority(signer)).certPem);
      assert.ok(Date.parse(ca.validTo) <= now + 61 * minute, `${signer} ends within the hour: ${ca.validTo}`);
    }
  });

  it('the validity cases keep their meaning', async () => {
    const now = Date.now();
    const pki = await createRunPki({ clientSpiffeId: spiffeId, trustedCa: await userCa('ec-p256') });
    const expired = await windowOf(pki, 'x509/validity/expired');
    assert.ok(expired.notAfter < now - 23 * 60 * minute, 'still expired a day ago');
    const notYet = await windowOf(pki, 'x509/validity/not-yet-valid');
    assert.ok(notYet.notBefore >= now + 49 * minute, `not yet valid for 49 minutes and more: ${notYet.cert.validFrom}`);
    assert.ok(notYet.notAfter <= now + 61 * minute && notYet.notAfter > notYet.notBefore);
    const soon = await windowOf(pki, 'x509/validity/expires-soon');
    assert.ok(soon.notAfter > now && soon.notAfter <= now + 6 * minute, `expires in minutes: ${soon.cert.validTo}`);
  });

  it('a CA below the user\'s that nears its end is made again, so a late probe never meets an expired issuer', async () => {
    let clock = Date.now();
    const pki = await createRunPki({ clientSpiffeId: spiffeId, trustedCa: await userCa('ec-p256'), clock: () => new Date(clock) });
    const template = { ...pki.validClientTemplate(), signer: 'intermediate-below-pathlen-0' as const };
    const early = await pki.issue(template);
    clock += 55 * minute;
    const late = await pki.issue(template);
    assert.notEqual(late.chainPems[0], early.chainPems[0], 'a new intermediate');
    assert.notEqual(late.chainPems[1], early.chainPems[1], 'and a new parent it sends along');
    for (const pem of [...late.chainPems, late.certPem]) {
      assert.ok(Date.parse(new X509Certificate(pem).validTo) >= clock + 50 * minute, 'valid well past the late probe');
    }
  });

  it("the built-in servers' PKI keeps its long validity", async () => {
    const pki = await createRunPki({ clientSpiffeId: spiffeId, trustedCa: 'generate' });
    const { notAfter } = await windowOf(pki, 'x509/valid');
    assert.ok(notAfter > Date.now() + 6 * 24 * 60 * minute);
  });
});

describe("cases a user's CA cannot sign are skipped with the reason", () => {
  it('an Ed25519 CA: no SHA-1 signature; MD5 comes from mtlspec\'s own RSA intermediate, so it stays', async () => {
    const pki = await createRunPki({ clientSpiffeId: spiffeId, trustedCa: await userCa('ed25519') });
    assert.equal(pki.signingProblem(templateOf(pki, 'x509/crypto/sha1-signature')), "the CA's Ed25519 key cannot make a SHA-1 signature (Ed25519 has no choice of hash)");
    assert.equal(pki.signingProblem(templateOf(pki, 'x509/crypto/md5-signature')), undefined);
    await assert.rejects(pki.issue(templateOf(pki, 'x509/crypto/sha1-signature')), /Ed25519 key cannot make a SHA-1 signature/);
    // Every other client case can be minted.
    for (const c of cases) {
      if (c.kind !== 'client' || c.credential.kind !== 'defect' || c.id === 'x509/crypto/sha1-signature') continue;
      assert.equal(pki.signingProblem(templateOf(pki, c.id)), undefined, c.id);
      await pki.issue(templateOf(pki, c.id));
    }
  });

  it('an RSA-PSS CA: no SHA-1 signature either', async () => {
    const pki = await createRunPki({ clientSpiffeId: spiffeId, trustedCa: await rsaPssUserCa() });
    assert.match(pki.signingProblem(templateOf(pki, 'x509/crypto/sha1-signature')) ?? '', /^the CA's RSA-PSS key cannot make a SHA-1 signature/);
    assert.ok(pki.trustedCa);
    const valid = new X509Certificate((await pki.issue(pki.validClientTemplate())).certPem);
    assert.ok(valid.verify(new X509Certificate(pki.trustedCa.certPem).publicKey), 'the valid leaf is signed with RSA-PSS and verifies');
  });

  it('EC and RSA CAs sign every case', async () => {
    for (const algorithm of ['ec-p256', 'ec-p384', 'rsa-2048'] as const) {
      const pki = await createRunPki({ clientSpiffeId: spiffeId, trustedCa: await userCa(algorithm) });
      const problems = cases.flatMap((c) => (c.kind === 'client' && c.credential.kind === 'defect' ? [pki.signingProblem(templateOf(pki, c.id))] : [])).filter(Boolean);
      assert.deepEqual(problems, [], algorithm);
    }
  });
});
