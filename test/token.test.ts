import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, exportJWK } from 'jose';
import { tokenCases } from '../fixtures/token-cases.js';
import { createRunPki } from '../src/pki/index.js';
import { shownBearer, tokenEvidence, tokenFingerprint } from '../src/token/evidence.js';
import { readSigningKey, SigningKeyError } from '../src/token/keys.js';
import { TokenKit } from '../src/token/kit.js';
import { certificateDer, certificateSha256 } from '../src/pki/certificate-hash.js';
import { mintToken, TokenMintError, type MintInputs } from '../src/token/mint.js';
import { tokenTemplateOf, tokenUnavailableReason } from '../src/token/request.js';
import { allTokenFlaws, verifyBearer, type TokenFlaw, type TokenPolicy } from '../src/token/verifier.js';

/**
 * The token module on its own: what minting signs verifies with jose for
 * every key type an issuer may have; each reference-verifier flaw lets
 * through exactly its case and nothing else; evidence never holds the token.
 */

async function fixture(): Promise<{ kit: TokenKit; policy: (flaws: TokenFlaw[]) => TokenPolicy; inputs: Omit<MintInputs, 'issuer' | 'attacker' | 'given' | 'attackerUrls'>; presentedDer: Buffer; otherDer: Buffer }> {
  const pki = await createRunPki({ clientSpiffeId: 'spiffe://example.org/client', trustedCa: 'generate' });
  const valid = await pki.issue(pki.validClientTemplate());
  const other = await pki.issue({ ...pki.validClientTemplate(), subject: 'CN=other' });
  const attacker = await pki.issue({ ...pki.validClientTemplate(), signer: 'self', subject: 'CN=attacker' });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const issuer = await readSigningKey(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), undefined);
  const kit = await TokenKit.create({ issuer }, attacker, { issuer: 'https://iss.test', audience: 'https://aud.test', subject: 'client' });
  const presentedDer = certificateDer(valid.certPem);
  const otherDer = certificateDer(other.certPem);
  const caPem = pki.trustedCa?.certPem ?? '';
  return {
    kit,
    presentedDer,
    otherDer,
    inputs: { presentedDer, issuerOfPresentedDer: certificateDer(caPem), credentialDerOf: async () => otherDer },
    policy: (flaws) => ({ jwks: { keys: [issuer.publicJwk] }, issuerPublicPem: issuer.publicPem, issuer: 'https://iss.test', audience: 'https://aud.test', requireBinding: true, skewSeconds: 30, flaws }),
  };
}

describe('minting', () => {
  for (const key of [
    () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    () => generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey,
    () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
    () => generateKeyPairSync('ed25519').privateKey,
  ]) {
    it(`signs what jose verifies (${key().asymmetricKeyType} ${key().asymmetricKeyDetails?.namedCurve ?? ''})`, async () => {
      const issuer = await readSigningKey(key().export({ type: 'pkcs8', format: 'pem' }).toString(), 'kid-1');
      const f = await fixture();
      const template = { ...f.kit.validTemplate({ now: new Date() }), header: { alg: issuer.alg, typ: 'JWT', kid: 'kid-1' } };
      const { compact } = await mintToken(template, { ...f.inputs, issuer, attacker: f.kit.attacker, given: undefined, attackerUrls: f.kit.keyServer.urls });
      const { protectedHeader } = await compactVerify(compact, createLocalJWKSet({ keys: [issuer.publicJwk] }));
      assert.equal(protectedHeader.alg, issuer.alg);
      await f.kit.close();
    });
  }

  it('binds with the base64url SHA-256 of the DER (RFC 8705 3.1), or in hex for the case that needs it', async () => {
    const f = await fixture();
    const valid = f.kit.validTemplate({ now: new Date() });
    const mint = (template: typeof valid) => mintToken(template, { ...f.inputs, issuer: f.kit.issuer, attacker: f.kit.attacker, given: undefined, attackerUrls: f.kit.keyServer.urls });
    const bound = tokenEvidence((await mint(valid)).compact).claims?.['cnf'] as Record<string, string>;
    assert.equal(bound['x5t#S256'], certificateSha256(f.presentedDer));
    assert.match(bound['x5t#S256'] ?? '', /^[A-Za-z0-9_-]{43}$/);
    const hex = tokenEvidence((await mint({ ...valid, binding: { to: 'presented', encoding: 'hex' } })).compact).claims?.['cnf'] as Record<string, string>;
    assert.match(hex['x5t#S256'] ?? '', /^[0-9a-f]{64}$/);
    await f.kit.close();
  });

  it('a given token cannot be changed without the issuer key: the case says why', async () => {
    const f = await fixture();
    const { compact } = await mintToken(f.kit.validTemplate({ now: new Date() }), { ...f.inputs, issuer: f.kit.issuer, attacker: f.kit.attacker, given: undefined, attackerUrls: f.kit.keyServer.urls });
    const attacker = { certPem: new X509Certificate(f.kit.attacker.certPem).toString(), keyPem: f.kit.attacker.key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
    const given = await TokenKit.create({ given: compact }, attacker, { subject: 'client' });
    const expired = tokenCases.find((c) => c.id === 'jwt/claims/expired');
    const none = tokenCases.find((c) => c.id === 'jwt/alg/none');
    assert.ok(expired?.token && none?.token);
    const context = { now: new Date() };
    assert.match(tokenUnavailableReason(tokenTemplateOf(expired.token, given, context) ?? given.validTemplate(context), given, () => undefined) ?? '', /needs --jwt-key/);
    assert.equal(tokenUnavailableReason(tokenTemplateOf(none.token, given, context) ?? given.validTemplate(context), given, () => undefined), undefined);
    const changed = tokenTemplateOf(expired.token, given, context);
    assert.ok(changed);
    await assert.rejects(mintToken(changed, { ...f.inputs, issuer: undefined, attacker: given.attacker, given: given.given, attackerUrls: given.keyServer.urls }), TokenMintError);
    await Promise.all([f.kit.close(), given.close()]);
  });

  it('an unreadable issuer key is one sentence that never quotes the file', async () => {
    // A real key made now, cut short so it no longer parses: the message must quote none of it.
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const [armourStart = '', ...body] = pem.trim().split('\n');
    const bodyLines = body.slice(0, -1);
    const cut = [armourStart, ...bodyLines.slice(0, 1), body.at(-1) ?? ''].join('\n');
    await assert.rejects(readSigningKey(cut, undefined), (error: Error) => error instanceof SigningKeyError && bodyLines.every((line) => !error.message.includes(line)));
    const publicOnly = await exportJWK(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
    await assert.rejects(readSigningKey(JSON.stringify(publicOnly), undefined), /no private part/);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await assert.rejects(readSigningKey(small, undefined), /under 2048 bits/);
  });
});

describe('the reference verifier, one flaw at a time', () => {
  /** Which token cases each flaw lets through: the detection matrix's token rows, at unit scale. */
  const expected: Record<TokenFlaw | 'correct', string[]> = {
    correct: [],
    'jwt-ignore-exp': ['jwt/claims/expired'],
    'jwt-accept-alg-none': ['jwt/alg/none', 'jwt/alg/none-capitalized'],
    'jwt-alg-confusion': ['jwt/alg/hs256-with-public-key'],
    'jwt-ignore-aud': ['jwt/claims/wrong-audience'],
    'jwt-ignore-cnf': ['jwt/cnf/bound-to-another-client', 'jwt/cnf/missing', 'jwt/cnf/hex-thumbprint', 'jwt/cnf/issuer-thumbprint'],
    'jwt-hex-thumbprint': ['jwt/cnf/hex-thumbprint'],
    'jwt-trust-header-jwk': ['jwt/header/jwk'],
  };
  for (const flaw of ['correct', ...allTokenFlaws] as const) {
    it(`${flaw}: lets through exactly ${expected[flaw].join(', ') || 'nothing bad'}`, async () => {
      const f = await fixture();
      const policy = f.policy(flaw === 'correct' ? [] : [flaw]);
      const accepted: string[] = [];
      // The case presented by another client needs that client's connection; the e2e runs cover it.
      for (const testCase of tokenCases.filter((c) => c.credential.kind === 'valid')) {
        const template = testCase.token ? tokenTemplateOf(testCase.token, f.kit, { now: new Date() }) : undefined;
        const minted = template ? await mintToken(template, { ...f.inputs, issuer: f.kit.issuer, attacker: f.kit.attacker, given: undefined, attackerUrls: f.kit.keyServer.urls }) : undefined;
        const field = minted ? [minted.compact, ...(minted.second ? [minted.second] : [])].map((t) => `Bearer ${t}`).join(', ') : undefined;
        const decision = await verifyBearer(field, f.presentedDer, policy);
        if (decision.ok && testCase.expect === 'rejected') accepted.push(testCase.id);
        if (!decision.ok && testCase.expect === 'accepted') assert.fail(`${flaw} refused ${testCase.id}: ${decision.description}`);
      }
      assert.deepEqual(accepted.sort(), [...expected[flaw]].sort());
      await f.kit.close();
    });
  }

  it('answers as RFC 6750 3.1 says: 401 without an error for no token, 400 invalid_request for a malformed field, 401 invalid_token for a bad one', async () => {
    const f = await fixture();
    const policy = f.policy([]);
    assert.deepEqual(await verifyBearer(undefined, f.presentedDer, policy), { ok: false, status: 401, error: undefined, description: 'a bearer token is required' });
    for (const field of ['Basic dXNlcjpwdw==', 'Bearer a b', 'Bearer a, Bearer b']) {
      const malformed = await verifyBearer(field, f.presentedDer, policy);
      assert.ok(!malformed.ok && malformed.status === 400 && malformed.error === 'invalid_request', field);
    }
    const bad = await verifyBearer('Bearer e30.e30.', f.presentedDer, policy);
    assert.ok(!bad.ok && bad.status === 401 && bad.error === 'invalid_token');
    await f.kit.close();
  });
});

describe('evidence', () => {
  it('shows header, claims and a fingerprint, never the token', async () => {
    const f = await fixture();
    const { compact } = await mintToken(f.kit.validTemplate({ now: new Date() }), { ...f.inputs, issuer: f.kit.issuer, attacker: f.kit.attacker, given: undefined, attackerUrls: f.kit.keyServer.urls });
    const evidence = tokenEvidence(compact);
    assert.deepEqual(evidence.header, decodeProtectedHeader(compact));
    assert.equal(evidence.claims?.['aud'], 'https://aud.test');
    assert.equal(evidence.fingerprint, tokenFingerprint(compact));
    const [, , signature = ''] = compact.split('.');
    assert.ok(!JSON.stringify(evidence).includes(signature));
    assert.equal(shownBearer(compact), `Bearer <token ${evidence.fingerprint}>`);
    assert.ok(!f.otherDer.equals(f.presentedDer));
    await f.kit.close();
  });
});
