/**
 * A leaf certificate described as plain data. Valid templates come from this
 * module; defects (fixtures/) are functions from a valid template to a broken
 * one, so every defect is one small, readable change to this shape.
 */

export type KeyAlgorithm = 'ec-p256' | 'ec-p384' | 'rsa-2048' | 'rsa-1024' | 'rsa-pss-2048' | 'ed25519';

/** Who signs the leaf: the CA the target trusts, a stranger CA, or the leaf's own key. */
export type Signer = 'trusted-ca' | 'untrusted-ca' | 'self';

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
    subject: 'CN=mtlspec client, O=mtlspec',
    notBefore: new Date(ctx.now.getTime() - hour),
    notAfter: new Date(ctx.now.getTime() + 7 * day),
    key: 'ec-p256',
    signer: 'trusted-ca',
    basicConstraints: { ca: false },
    keyUsage: ['digitalSignature'],
    extendedKeyUsage: ['clientAuth'],
    dnsNames: [],
    ipAddresses: [],
    uris: [spiffeId],
  };
}

/** A valid server leaf for the reference servers: names loopback by DNS and IP. */
export function validServerTemplate(
  hosts: { dnsNames: readonly string[]; ipAddresses: readonly string[] },
  ctx: TemplateContext,
): LeafTemplate {
  return {
    subject: 'CN=localhost, O=mtlspec',
    notBefore: new Date(ctx.now.getTime() - hour),
    notAfter: new Date(ctx.now.getTime() + 7 * day),
    key: 'ec-p256',
    signer: 'trusted-ca',
    basicConstraints: { ca: false },
    keyUsage: ['digitalSignature'],
    extendedKeyUsage: ['serverAuth'],
    dnsNames: hosts.dnsNames,
    ipAddresses: hosts.ipAddresses,
    uris: [],
  };
}

export const durations = { hour, day };
