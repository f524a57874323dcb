import { caKeyUsage, createRootAuthority, selfSignedAuthority, subordinateAuthority, type Authority, type CaProfile, type Validity } from './authority.js';
import { KeyPool, generateKey, keyIdentifierOf, type KeyMaterial } from './keys.js';
import type { Signer } from './template.js';

/** Every signer but 'self' is an authority. */
export type AuthoritySigner = Exclude<Signer, 'self'>;

export interface RunAuthorities {
  /** The authority behind each signer name this run can use. */
  readonly signers: ReadonlyMap<AuthoritySigner, Authority>;
  /** Every CA certificate below the trusted CA, each of which needs a CRL of its own (see run-pki.ts). */
  readonly intermediates: readonly Authority[];
}

/**
 * The CAs a run can sign leaves with. Everything below the trusted CA needs
 * its key, so without one only the strangers exist. All keys are generated
 * at once (node:crypto runs them on the thread pool); the certificates after.
 */
export async function createRunAuthorities(trustedCa: Authority | undefined, validity: Validity, keys: KeyPool): Promise<RunAuthorities> {
  const [untrustedCa, below] = await Promise.all([
    createRootAuthority('CN=mtlspec untrusted CA, O=mtlspec stranger', validity),
    trustedCa ? authoritiesBelow(trustedCa, validity, keys) : undefined,
  ]);
  const signers = new Map<AuthoritySigner, Authority>([['untrusted-ca', untrustedCa]]);
  if (!trustedCa || !below) return { signers, intermediates: [] };
  signers.set('trusted-ca', trustedCa);
  for (const [signer, authority] of below.signers) signers.set(signer, authority);
  return { signers, intermediates: below.intermediates };
}

async function authoritiesBelow(trustedCa: Authority, validity: Validity, keys: KeyPool): Promise<RunAuthorities> {
  const [impostorKey, intermediateKey, pathLenZeroKey, belowPathLenZeroKey, notCaKey, noCertSignKey, rsaKey] = await Promise.all([
    // The impostor's key is of the trusted CA's kind, so nothing but the key itself differs.
    generateKey(trustedCa.key.algorithm),
    generateKey('ec-p256'),
    generateKey('ec-p256'),
    generateKey('ec-p256'),
    generateKey('ec-p256'),
    generateKey('ec-p256'),
    // RSA keys are slow to make: the RSA intermediate shares the run's one RSA-2048 key with its RSA leaves.
    keys.get('rsa-2048'),
  ]);
  const under = (profile: CaProfile, parent: Authority = trustedCa): Authority => subordinateAuthority(profile, parent, validity);
  const ca = { basicConstraints: { ca: true }, keyUsage: caKeyUsage };

  const intermediate = under({ ...ca, subject: 'CN=mtlspec intermediate CA, O=mtlspec', key: intermediateKey });
  const pathLenZero = under({ ...ca, subject: 'CN=mtlspec pathLen 0 CA, O=mtlspec', key: pathLenZeroKey, basicConstraints: { ca: true, pathLength: 0 } });
  // pathLenConstraint 0 allows leaves below pathLenZero, but no further CA: this one breaks it.
  const belowPathLenZero = under({ ...ca, subject: 'CN=mtlspec CA below a pathLen 0 CA, O=mtlspec', key: belowPathLenZeroKey }, pathLenZero);
  // A proper CA's keyUsage, so basicConstraints is the only thing wrong.
  const notCa = under({ ...ca, subject: 'CN=mtlspec issuer that is not a CA, O=mtlspec', key: notCaKey, basicConstraints: { ca: false } });
  // Without keyCertSign OpenSSL no longer counts it as a CA at all, and fails the chain before any CRL check.
  const noCertSign = under({ ...ca, subject: 'CN=mtlspec CA without keyCertSign, O=mtlspec', key: noCertSignKey, keyUsage: ['digitalSignature'] });
  const rsaIntermediate = under({ ...ca, subject: 'CN=mtlspec RSA intermediate CA, O=mtlspec', key: rsaKey });
  const impostor = selfSignedAuthority(
    { ...ca, subject: trustedCa.subjectName, key: impostorKey, keyIdentifier: keyIdentifierLike(trustedCa, impostorKey) },
    validity,
  );

  return {
    signers: new Map<AuthoritySigner, Authority>([
      ['impostor-ca', impostor],
      ['intermediate', intermediate],
      ['intermediate-below-pathlen-0', belowPathLenZero],
      ['issuer-not-ca', notCa],
      ['issuer-without-keycertsign', noCertSign],
      ['rsa-intermediate', rsaIntermediate],
    ]),
    intermediates: [intermediate, pathLenZero, belowPathLenZero, notCa, noCertSign, rsaIntermediate],
  };
}

/**
 * A key identifier for `key` made the way `ca`'s was (SHA-1, or SHA-256 cut
 * to 160 bits), so an AKI naming it looks like one `ca` would have.
 */
function keyIdentifierLike(ca: Authority, key: KeyMaterial): Buffer {
  for (const hash of ['sha1', 'sha256'] as const) {
    if (keyIdentifierOf(ca.key.spki, hash).equals(ca.keyIdentifier)) return keyIdentifierOf(key.spki, hash);
  }
  return key.keyIdentifier;
}
