import { caKeyUsage, selfSignedAuthority, subordinateAuthority, type Authority, type CaProfile, type Validity } from './authority.js';
import { KeyPool, generateKey, keyIdentifierOf, type KeyMaterial } from './keys.js';
import type { Signer } from './template.js';

/** Every signer but 'self' is an authority. */
export type AuthoritySigner = Exclude<Signer, 'self'>;

/** The CAs below the trusted CA: each one chains up to it, so each needs its key. */
type CaBelowTrusted = 'intermediate' | 'pathlen-0' | 'intermediate-below-pathlen-0' | 'issuer-not-ca' | 'issuer-without-keycertsign' | 'rsa-intermediate';

/**
 * The CAs a run can sign leaves with, each made the first time it is asked
 * for. A run of a few cases needs two or three of them, and the RSA
 * intermediate alone would cost it the ~200 ms of an RSA-2048 key. Without
 * the trusted CA's key only the strangers exist.
 */
export class RunAuthorities {
  readonly #made = new Map<AuthoritySigner | CaBelowTrusted, Promise<Authority>>();

  constructor(
    private readonly trustedCa: Authority | undefined,
    readonly untrustedCa: Authority,
    private readonly validity: Validity,
    private readonly keys: KeyPool,
  ) {}

  /** Whether this run can make the signer at all: all but the stranger need the trusted CA's key. */
  has(signer: AuthoritySigner): boolean {
    return signer === 'untrusted-ca' || this.trustedCa !== undefined;
  }

  get(signer: AuthoritySigner): Promise<Authority> {
    return this.#memo(signer);
  }

  /**
   * Every CA certificate below the trusted CA, each of which needs a CRL of
   * its own (see run-pki.ts). Makes them all: only a server that checks
   * revocation asks.
   */
  intermediates(): Promise<Authority[]> {
    if (!this.trustedCa) return Promise.resolve([]);
    const below: CaBelowTrusted[] = ['intermediate', 'pathlen-0', 'intermediate-below-pathlen-0', 'issuer-not-ca', 'issuer-without-keycertsign', 'rsa-intermediate'];
    return Promise.all(below.map((name) => this.#memo(name)));
  }

  #memo(name: AuthoritySigner | CaBelowTrusted): Promise<Authority> {
    let authority = this.#made.get(name);
    if (!authority) {
      authority = this.#make(name);
      this.#made.set(name, authority);
    }
    return authority;
  }

  async #make(name: AuthoritySigner | CaBelowTrusted): Promise<Authority> {
    if (name === 'untrusted-ca') return this.untrustedCa;
    const trustedCa = this.trustedCa;
    if (!trustedCa) throw new Error(`${name} is signed by the trusted CA, whose key this run does not have`);
    const ca = { basicConstraints: { ca: true }, keyUsage: caKeyUsage };
    const under = async (profile: Omit<CaProfile, 'key'>, key: Promise<KeyMaterial>, parent: Authority = trustedCa): Promise<Authority> =>
      subordinateAuthority({ ...profile, key: await key }, parent, this.validity);
    switch (name) {
      case 'trusted-ca':
        return trustedCa;
      case 'impostor-ca': {
        // The impostor's key is of the trusted CA's kind, so nothing but the key itself differs.
        const key = await generateKey(trustedCa.key.algorithm);
        return selfSignedAuthority({ ...ca, subject: trustedCa.subjectName, key, keyIdentifier: keyIdentifierLike(trustedCa, key) }, this.validity);
      }
      case 'intermediate':
        return under({ ...ca, subject: 'CN=mtlspec intermediate CA, O=mtlspec' }, generateKey('ec-p256'));
      case 'pathlen-0':
        return under({ ...ca, subject: 'CN=mtlspec pathLen 0 CA, O=mtlspec', basicConstraints: { ca: true, pathLength: 0 } }, generateKey('ec-p256'));
      case 'intermediate-below-pathlen-0': {
        // pathLenConstraint 0 allows leaves below pathLenZero, but no further CA: this one breaks it.
        const [key, pathLenZero] = await Promise.all([generateKey('ec-p256'), this.#memo('pathlen-0')]);
        return subordinateAuthority({ ...ca, subject: 'CN=mtlspec CA below a pathLen 0 CA, O=mtlspec', key }, pathLenZero, this.validity);
      }
      case 'issuer-not-ca':
        // A proper CA's keyUsage, so basicConstraints is the only thing wrong.
        return under({ ...ca, subject: 'CN=mtlspec issuer that is not a CA, O=mtlspec', basicConstraints: { ca: false } }, generateKey('ec-p256'));
      case 'issuer-without-keycertsign':
        // Without keyCertSign OpenSSL no longer counts it as a CA at all, and fails the chain before any CRL check.
        return under({ ...ca, subject: 'CN=mtlspec CA without keyCertSign, O=mtlspec', keyUsage: ['digitalSignature'] }, generateKey('ec-p256'));
      case 'rsa-intermediate':
        // RSA keys are slow to make: the RSA intermediate shares the run's one RSA-2048 key with its RSA leaves.
        return under({ ...ca, subject: 'CN=mtlspec RSA intermediate CA, O=mtlspec' }, this.keys.get('rsa-2048'));
    }
  }
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
