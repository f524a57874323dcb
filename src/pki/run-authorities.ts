import { caKeyUsage, selfSignedAuthority, subordinateAuthority, type Authority, type CaProfile, type Validity } from './authority.js';
import { permittedDnsSubtree } from './extensions.js';
import { KeyPool, generateKey, keyIdentifierOf, type KeyMaterial } from './keys.js';
import type { KeyAlgorithm, Signer } from './template.js';

/** Every signer but 'self' is an authority. */
export type AuthoritySigner = Exclude<Signer, 'self'>;

/** The CAs below the trusted CA: each one chains up to it, so each needs its key. */
type CaBelowTrusted = 'intermediate' | 'pathlen-0' | 'intermediate-below-pathlen-0' | 'issuer-not-ca' | 'issuer-without-keycertsign' | 'rsa-intermediate' | 'name-constrained-intermediate';

/** The validity of the CAs a run makes. */
export interface CaValidityPolicy {
  /** The validity of a CA made at this instant. */
  at(now: Date): Validity;
  /** Make a CA again when less than this is left of it; undefined: never (it outlives any run). */
  readonly renewBeforeMs?: number;
}

/** One validity for every CA of the run: the built-in PKI's, which outlives any run. */
export function fixedCaValidity(validity: Validity): CaValidityPolicy {
  return { at: () => validity };
}

interface Made {
  readonly authority: Promise<Authority>;
  /** When it, or a CA it sends along, expires. */
  readonly notAfter: number;
}

/**
 * The CAs a run can sign leaves with, each made the first time it is asked
 * for. A run of a few cases needs two or three of them, and the RSA
 * intermediate alone would cost it the ~200 ms of an RSA-2048 key. Without
 * the trusted CA's key only the strangers exist.
 */
export class RunAuthorities {
  readonly #made = new Map<AuthoritySigner | CaBelowTrusted, Made>();

  constructor(
    private readonly trustedCa: Authority | undefined,
    readonly untrustedCa: Authority,
    private readonly validity: CaValidityPolicy,
    private readonly keys: KeyPool,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Whether this run can make the signer at all: all but the stranger need the trusted CA's key. */
  has(signer: AuthoritySigner): boolean {
    return signer === 'untrusted-ca' || this.trustedCa !== undefined;
  }

  get(signer: AuthoritySigner): Promise<Authority> {
    return this.#memo(signer);
  }

  /** The kind of key the signer signs with, known without making it: whether it can make a given signature. */
  keyAlgorithm(signer: AuthoritySigner): KeyAlgorithm | undefined {
    switch (signer) {
      case 'untrusted-ca':
        return this.untrustedCa.key.algorithm;
      case 'trusted-ca':
      case 'impostor-ca':
        return this.trustedCa?.key.algorithm;
      case 'rsa-intermediate':
        return 'rsa-2048';
      default:
        return 'ec-p256';
    }
  }

  /**
   * Every CA certificate below the trusted CA, each of which needs a CRL of
   * its own (see run-pki.ts). Makes them all: only a server that checks
   * revocation asks.
   */
  intermediates(): Promise<Authority[]> {
    if (!this.trustedCa) return Promise.resolve([]);
    const below: CaBelowTrusted[] = ['intermediate', 'pathlen-0', 'intermediate-below-pathlen-0', 'issuer-not-ca', 'issuer-without-keycertsign', 'rsa-intermediate', 'name-constrained-intermediate'];
    return Promise.all(below.map((name) => this.#memo(name)));
  }

  #memo(name: AuthoritySigner | CaBelowTrusted): Promise<Authority> {
    return this.#entry(name).authority;
  }

  #entry(name: AuthoritySigner | CaBelowTrusted): Made {
    const now = this.clock();
    const made = this.#made.get(name);
    const renewBeforeMs = this.validity.renewBeforeMs;
    if (made && (renewBeforeMs === undefined || made.notAfter - now.getTime() > renewBeforeMs)) return made;
    const validity = this.validity.at(now);
    // The CA below pathLen 0 sends its parent along: it is only as good as that parent.
    const parentNotAfter = name === 'intermediate-below-pathlen-0' ? this.#entry('pathlen-0').notAfter : Infinity;
    const fresh = {
      authority: this.#make(name, validity),
      notAfter: name === 'trusted-ca' || name === 'untrusted-ca' ? Infinity : Math.min(validity.notAfter.getTime(), parentNotAfter),
    };
    this.#made.set(name, fresh);
    return fresh;
  }

  async #make(name: AuthoritySigner | CaBelowTrusted, validity: Validity): Promise<Authority> {
    if (name === 'untrusted-ca') return this.untrustedCa;
    const trustedCa = this.trustedCa;
    if (!trustedCa) throw new Error(`${name} is signed by the trusted CA, whose key this run does not have`);
    const ca = { basicConstraints: { ca: true }, keyUsage: caKeyUsage };
    const under = async (profile: Omit<CaProfile, 'key'>, key: Promise<KeyMaterial>, parent: Authority = trustedCa): Promise<Authority> =>
      subordinateAuthority({ ...profile, key: await key }, parent, validity);
    switch (name) {
      case 'trusted-ca':
        return trustedCa;
      case 'impostor-ca': {
        // The impostor's key is of the trusted CA's kind, so nothing but the key itself differs.
        const key = await generateKey(trustedCa.key.algorithm);
        return selfSignedAuthority({ ...ca, subject: trustedCa.subjectName, key, keyIdentifier: keyIdentifierLike(trustedCa, key) }, validity);
      }
      case 'intermediate':
        return under({ ...ca, subject: 'CN=mtlspec intermediate CA, O=mtlspec' }, generateKey('ec-p256'));
      case 'pathlen-0':
        return under({ ...ca, subject: 'CN=mtlspec pathLen 0 CA, O=mtlspec', basicConstraints: { ca: true, pathLength: 0 } }, generateKey('ec-p256'));
      case 'intermediate-below-pathlen-0': {
        // pathLenConstraint 0 allows leaves below pathLenZero, but no further CA: this one breaks it.
        const [key, pathLenZero] = await Promise.all([generateKey('ec-p256'), this.#memo('pathlen-0')]);
        return subordinateAuthority({ ...ca, subject: 'CN=mtlspec CA below a pathLen 0 CA, O=mtlspec', key }, pathLenZero, validity);
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
      case 'name-constrained-intermediate':
        // A proper CA in every other way: the constraint is the only thing a leaf under it can break.
        return under({ ...ca, subject: 'CN=mtlspec CA for example.com only, O=mtlspec', extraExtensions: [permittedDnsSubtree('example.com')] }, generateKey('ec-p256'));
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
