import { createRootAuthority, signLeaf, type Authority, type IssuedLeaf } from './authority.js';
import { KeyPool, generateKey } from './keys.js';
import { createCrl, revokedSerialFor, writeCrl } from './revocation.js';
import { createRunAuthorities, type AuthoritySigner } from './run-authorities.js';
import { durations, validClientTemplate, validServerTemplate, type LeafTemplate, type TemplateContext } from './template.js';

/**
 * The PKI of one run: the CA the target trusts for clients (fresh, or the
 * user's), the other authorities a template can name as signer, the CRLs a
 * server needs to check them, optionally a server leaf for the reference
 * servers, and the means to issue any client leaf from a template. Nothing is
 * reused across runs, except that the revoked serial depends only on the CA.
 */
export interface RunPki {
  readonly context: TemplateContext;
  readonly clientSpiffeId: string;
  /** Undefined when the user gave only a client credential: nothing can be minted in the target's trust. */
  readonly trustedCa: Authority | undefined;
  readonly untrustedCa: Authority;
  /** Every authority this run can sign with, by signer name ('self' needs none). */
  readonly authorities: ReadonlyMap<AuthoritySigner, Authority>;
  /**
   * PEM CRLs for a server that checks revocation: the trusted CA's (listing
   * the revoked serial) first, then an empty one for every CA below it.
   * Empty without the trusted CA's key.
   */
  readonly crls: readonly string[];
  /** Present when asked for: the reference servers' own certificate. */
  readonly server: IssuedLeaf | undefined;
  /** The valid client template every case starts from. */
  validClientTemplate(): LeafTemplate;
  /** Whether this template's signer exists in this run (all but the strangers need the trusted CA's key). */
  canIssue(template: LeafTemplate): boolean;
  issue(template: LeafTemplate): Promise<IssuedLeaf>;
}

export interface RunPkiOptions {
  clientSpiffeId: string;
  /** The client-issuing CA: generate a fresh one, use the user's, or have none. */
  trustedCa: 'generate' | 'none' | Authority;
  /** Issue a server leaf (signed by the trusted CA) naming these hosts. */
  serverHosts?: { dnsNames: readonly string[]; ipAddresses: readonly string[]; uris?: readonly string[] };
  /** A defect for the server leaf (the harness's self-tests of its server-identity cases). */
  serverDefect?: (valid: LeafTemplate, context: TemplateContext) => LeafTemplate;
  now?: Date;
}

export async function createRunPki(options: RunPkiOptions): Promise<RunPki> {
  const context: TemplateContext = { now: options.now ?? new Date() };
  const caValidity = {
    notBefore: new Date(context.now.getTime() - durations.day),
    notAfter: new Date(context.now.getTime() + 30 * durations.day),
  };
  const keys = new KeyPool();
  // RSA first: it is the slow kind, and the thread pool can make it while the EC work goes on.
  keys.warmUp(['rsa-2048', 'rsa-1024']);
  const trustedCa =
    options.trustedCa === 'generate'
      ? await createRootAuthority('CN=mtlspec test CA, O=mtlspec', caValidity)
      : options.trustedCa === 'none'
        ? undefined
        : options.trustedCa;
  const validServer = options.serverHosts ? { ...validServerTemplate(options.serverHosts, context), uris: options.serverHosts.uris ?? [] } : undefined;
  const serverTemplate = validServer && options.serverDefect ? options.serverDefect(validServer, context) : validServer;
  const [{ signers, intermediates }, serverKey] = await Promise.all([
    createRunAuthorities(trustedCa, caValidity, keys),
    // The server gets a key of its own so that no client leaf shares it.
    serverTemplate ? generateKey(serverTemplate.key) : undefined,
    // Most runs issue P-256 leaves: have that key ready with the rest.
    keys.get('ec-p256'),
  ]);
  const untrustedCa = signers.get('untrusted-ca');
  if (!untrustedCa) throw new Error('every run has an untrusted CA');

  let server: IssuedLeaf | undefined;
  if (serverTemplate && serverKey) {
    const serverSigner = serverTemplate.signer === 'self' ? 'self' : signers.get(serverTemplate.signer);
    if (!serverSigner) throw new Error('a server leaf needs a trusted CA to sign it');
    server = signLeaf(serverTemplate, serverKey, serverSigner);
  }

  // Node's `crl` option makes OpenSSL check every CA in the chain (X509_V_FLAG_CRL_CHECK_ALL), and a CA
  // without a CRL fails the handshake (unable to get certificate CRL): each intermediate needs one, if empty.
  const revokedSerial = trustedCa ? revokedSerialFor(trustedCa) : undefined;
  const crlValidity = { thisUpdate: new Date(context.now.getTime() - durations.hour), nextUpdate: new Date(context.now.getTime() + 365 * durations.day) };
  const crls =
    trustedCa && revokedSerial
      ? [createCrl(trustedCa, [revokedSerial], crlValidity), ...intermediates.map((ca) => createCrl(ca, [], crlValidity))]
      : [];

  const signerFor = (template: LeafTemplate): Authority | 'self' | undefined =>
    template.signer === 'self' ? 'self' : signers.get(template.signer);
  return {
    context,
    clientSpiffeId: options.clientSpiffeId,
    trustedCa,
    untrustedCa,
    authorities: signers,
    crls,
    server,
    validClientTemplate: () => validClientTemplate(options.clientSpiffeId, context),
    canIssue: (template) => signerFor(template) !== undefined,
    issue: async (template) => {
      const signer = signerFor(template);
      if (!signer) throw new Error(`this leaf must be signed by ${template.signer}, which needs the key of the CA the target trusts, and none was given`);
      // Only the trusted CA's CRL lists the revoked serial: under any other signer the leaf would not be revoked at all.
      if (template.revoked && template.signer !== 'trusted-ca') throw new Error(`a revoked leaf must be signed by trusted-ca, not ${template.signer}: only its CRL lists the revoked serial`);
      return signLeaf(template, await keys.get(template.key), signer, revokedSerial ? { revokedSerial } : {});
    },
  };
}

/** Writes the trusted CA's CRL (the one listing the revoked serial) for a target to load. */
export async function writeTrustedCaCrl(pki: RunPki, file: string): Promise<void> {
  const [trustedCaCrl] = pki.crls;
  if (!trustedCaCrl) throw new Error('no CRL to write: signing one needs the trusted CA\'s key (--ca-cert and --ca-key)');
  await writeCrl(file, trustedCaCrl);
}

/** The reference servers answer on loopback by name and by both address families. */
export const loopbackHosts = { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] } as const;
