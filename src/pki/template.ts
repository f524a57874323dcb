/**
 * A leaf certificate described as plain data. Valid templates come from this
 * module; defects (fixtures/) are functions from a valid template to a broken
 * one, so every defect is one small, readable change to this shape.
 */

export type KeyAlgorithm = 'ec-p256' | 'ec-p384' | 'rsa-2048' | 'rsa-1024' | 'rsa-pss-2048' | 'ed25519';

/**
 * Who signs the leaf. Every authority but the strangers chains up to the CA
 * the target trusts (the trusted CA itself, or intermediates it signed), so
 * each one needs that CA's key.
 */
export type Signer =
  /** The CA the target trusts. */
  | 'trusted-ca'
  /** A stranger CA the target has never seen. */
  | 'untrusted-ca'
  /** A stranger CA with the trusted CA's exact subject name, and a key identifier made the same way. */
  | 'impostor-ca'
  /** A correct intermediate (CA:TRUE, keyCertSign) signed by the trusted CA. */
  | 'intermediate'
  /** An intermediate signed by another intermediate whose pathLenConstraint is 0: the path is one CA too long. */
  | 'intermediate-below-pathlen-0'
  /** A certificate signed by the trusted CA with basicConstraints CA:FALSE, used as an issuer anyway. */
  | 'issuer-not-ca'
  /** An intermediate with CA:TRUE whose keyUsage lacks keyCertSign. */
  | 'issuer-without-keycertsign'
  /** An RSA-2048 intermediate signed by the trusted CA: the only way to make RSA-based signatures (MD5) under an EC root. */
  | 'rsa-intermediate'
  /** An intermediate whose critical nameConstraints permit DNS names under example.com only: a leaf naming localhost violates them. */
  | 'name-constrained-intermediate'
  /** The leaf's own key: issuer = subject. */
  | 'self';

/** A raw X.509 extension, for extensions no library models (an unknown critical one). */
export interface RawExtension {
  oid: string;
  critical: boolean;
  /** DER of the extension value (the OCTET STRING's contents), as hex. */
  valueHex: string;
}

export type KeyUsageName =
  | 'digitalSignature' | 'nonRepudiation' | 'keyEncipherment' | 'dataEncipherment'
  | 'keyAgreement' | 'keyCertSign' | 'cRLSign';

export type ExtendedKeyUsageName = 'serverAuth' | 'clientAuth' | 'codeSigning' | 'emailProtection';

export interface LeafTemplate {
  /** Distinguished name, RFC 4514 style: "CN=client, O=mtlspec". */
  subject: string;
  notBefore: Date;
  notAfter: Date;
  key: KeyAlgorithm;
  signer: Signer;
  /** 'absent' leaves the extension out; RFC 5280 lets end-entity certs omit it. */
  basicConstraints: { ca: boolean; pathLength?: number } | 'absent';
  keyUsage: readonly KeyUsageName[] | 'absent';
  extendedKeyUsage: readonly ExtendedKeyUsageName[] | 'absent';
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
  uris: readonly string[];
  /** Send the issuer's intermediates after the leaf (false: the leaf alone). */
  sendChain: boolean;
  /** 'default': SHA-256 for EC P-256/RSA, SHA-384 for P-384; weaker hashes are defects. */
  signatureHash: 'default' | 'SHA-1' | 'MD5';
  /** Flip a bit of the signature: a certificate whose signature does not verify. */
  corruptSignature: boolean;
  extraExtensions: readonly RawExtension[];
  /** Give the leaf the run's revoked serial number, which the trusted CA's CRL lists. */
  revoked: boolean;
}

/** The run's notion of "now", so validity defects are relative to one instant. */
export interface TemplateContext {
  now: Date;
}

const hour = 3_600_000;
const day = 24 * hour;

/**
 * A valid client leaf: the shape every client-side case starts from.
 * Backdated one hour so small clock differences between the harness and the
 * target never make a valid certificate look "not yet valid".
 */
export function validClientTemplate(spiffeId: string, ctx: TemplateContext): LeafTemplate {
  return {
    ...validLeaf(ctx),
    subject: 'CN=mtlspec client, O=mtlspec',
    extendedKeyUsage: ['clientAuth'],
    dnsNames: [],
    ipAddresses: [],
    uris: [spiffeId],
  };
}

/**
 * What every valid leaf shares, client or server: a week's validity from an
 * hour ago, a P-256 key, signed by the trusted CA, not a CA, a plain chain,
 * a normal signature, nothing extra.
 */
function validLeaf(ctx: TemplateContext): Omit<LeafTemplate, 'subject' | 'extendedKeyUsage' | 'dnsNames' | 'ipAddresses' | 'uris'> {
  return {
    notBefore: new Date(ctx.now.getTime() - hour),
    notAfter: new Date(ctx.now.getTime() + 7 * day),
    key: 'ec-p256',
    signer: 'trusted-ca',
    basicConstraints: { ca: false },
    keyUsage: ['digitalSignature'],
    sendChain: true,
    signatureHash: 'default',
    corruptSignature: false,
    extraExtensions: [],
    revoked: false,
  };
}

/** A valid server leaf for the reference servers: names loopback by DNS and IP. */
export function validServerTemplate(
  hosts: { dnsNames: readonly string[]; ipAddresses: readonly string[] },
  ctx: TemplateContext,
): LeafTemplate {
  return {
    ...validLeaf(ctx),
    subject: 'CN=localhost, O=mtlspec',
    extendedKeyUsage: ['serverAuth'],
    dnsNames: hosts.dnsNames,
    ipAddresses: hosts.ipAddresses,
    uris: [],
  };
}

export const durations = { hour, day };
