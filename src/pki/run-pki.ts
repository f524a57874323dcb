import { createRootAuthority, signLeaf, type Authority, type IssuedLeaf } from './authority.js';
import { KeyPool, generateKey } from './keys.js';
import { createCrl, revokedSerialFor, writeCrl } from './revocation.js';
import { capLeafValidity, cappedCaValidity, userCaLifetime } from './lifetime.js';
import { fixedCaValidity, RunAuthorities, type AuthoritySigner } from './run-authorities.js';
import { keyAlgorithmLabels, signatureProblem } from './signature.js';
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
  /** An authority this run can sign with, made on first use; rejects when the run cannot make it (see canIssue). */
  authority(signer: AuthoritySigner): Promise<Authority>;
  /**
   * PEM CRLs for a server that checks revocation: the trusted CA's (listing
   * the revoked serial) first, then an empty one for every CA below it.
   * Empty without the trusted CA's key.
   */
  crls(): Promise<readonly string[]>;
  /** The first of crls() alone, without making every intermediate: what a target loads (--crl-out). */
  trustedCaCrl(): string | undefined;
  /**
   * Starts making the keys and authorities these templates will need, so the
   * thread pool works on them (RSA above all) while the run does other
   * things. Only an optimization: issue() makes whatever is missing.
   */
  prepare(templates: readonly LeafTemplate[]): void;
  /** Present when asked for: the reference servers' own certificate. */
  readonly server: IssuedLeaf | undefined;
  /** The valid client template every case starts from. */
  validClientTemplate(): LeafTemplate;
  /** Whether this template's signer exists in this run (all but the strangers need the trusted CA's key). */
  canIssue(template: LeafTemplate): boolean;
  /**
   * Why the template's signer cannot make the signature it asks for (a user's
   * Ed25519 CA and a SHA-1 signature), in words for a skipped case; undefined
   * when it can.
   */
  signingProblem(template: LeafTemplate): string | undefined;
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
  /** When a certificate is made: the validity of what a user's CA signs counts from then. For tests. */
  clock?: () => Date;
}

export async function createRunPki(options: RunPkiOptions): Promise<RunPki> {
  const context: TemplateContext = { now: options.now ?? new Date() };
  const caValidity = {
    notBefore: new Date(context.now.getTime() - durations.day),
    notAfter: new Date(context.now.getTime() + 30 * durations.day),
  };
  const clock = options.clock ?? (() => new Date());
  // The user's own CA: what it signs is capped to about an hour around the run (lifetime.ts).
  const userCa = typeof options.trustedCa === 'object';
  const keys = new KeyPool();
  const [trustedCa, untrustedCa] = await Promise.all([
    options.trustedCa === 'generate'
      ? createRootAuthority('CN=mtlspec test CA, O=mtlspec', caValidity)
      : Promise.resolve(options.trustedCa === 'none' ? undefined : options.trustedCa),
    createRootAuthority('CN=mtlspec untrusted CA, O=mtlspec stranger', caValidity),
  ]);
  const caPolicy = userCa ? { at: cappedCaValidity, renewBeforeMs: userCaLifetime.renewBeforeMs } : fixedCaValidity(caValidity);
  const authorities = new RunAuthorities(trustedCa, untrustedCa, caPolicy, keys, clock);
  const signerFor = (template: LeafTemplate): Promise<Authority | 'self'> => (template.signer === 'self' ? Promise.resolve('self') : authorities.get(template.signer));

  let server: IssuedLeaf | undefined;
  const validServer = options.serverHosts ? { ...validServerTemplate(options.serverHosts, context), uris: options.serverHosts.uris ?? [] } : undefined;
  const serverTemplate = validServer && options.serverDefect ? options.serverDefect(validServer, context) : validServer;
  if (serverTemplate) {
    if (serverTemplate.signer !== 'self' && !authorities.has(serverTemplate.signer)) throw new Error('a server leaf needs a trusted CA to sign it');
    // The server gets a key of its own so that no client leaf shares it.
    const [serverKey, serverSigner] = await Promise.all([generateKey(serverTemplate.key), signerFor(serverTemplate)]);
    server = signLeaf(serverTemplate, serverKey, serverSigner);
  }

  // Node's `crl` option makes OpenSSL check every CA in the chain (X509_V_FLAG_CRL_CHECK_ALL), and a CA
  // without a CRL fails the handshake (unable to get certificate CRL): each intermediate needs one, if empty.
  const revokedSerial = trustedCa ? revokedSerialFor(trustedCa) : undefined;
  const crlValidity = { thisUpdate: new Date(context.now.getTime() - durations.hour), nextUpdate: new Date(context.now.getTime() + 365 * durations.day) };
  let trustedCaCrl: string | undefined;
  const makeTrustedCaCrl = (): string | undefined => (trustedCa && revokedSerial ? (trustedCaCrl ??= createCrl(trustedCa, [revokedSerial], crlValidity)) : undefined);
  let crls: Promise<readonly string[]> | undefined;
  const makeCrls = async (): Promise<readonly string[]> => {
    const first = makeTrustedCaCrl();
    return first ? [first, ...(await authorities.intermediates()).map((ca) => createCrl(ca, [], crlValidity))] : [];
  };

  const canIssue = (template: LeafTemplate): boolean => template.signer === 'self' || authorities.has(template.signer);
  const signingProblem = (template: LeafTemplate): string | undefined => {
    const algorithm = template.signer === 'self' ? template.key : authorities.keyAlgorithm(template.signer);
    const why = algorithm === undefined ? undefined : signatureProblem(algorithm, template.signatureHash);
    if (algorithm === undefined || why === undefined) return undefined;
    return `${signerNames[template.signer]} ${keyAlgorithmLabels[algorithm]} key cannot make ${template.signatureHash === 'MD5' ? 'an' : 'a'} ${template.signatureHash} signature (${why})`;
  };
  return {
    context,
    clientSpiffeId: options.clientSpiffeId,
    trustedCa,
    untrustedCa,
    authority: (signer) => authorities.get(signer),
    trustedCaCrl: makeTrustedCaCrl,
    crls: () => (crls ??= makeCrls()),
    server,
    validClientTemplate: () => validClientTemplate(options.clientSpiffeId, context),
    canIssue,
    signingProblem,
    prepare: (templates) => {
      for (const template of templates) {
        if (!canIssue(template) || signingProblem(template)) continue;
        keys.warmUp([template.key]);
        signerFor(template).catch(() => undefined);
      }
    },
    issue: async (template) => {
      if (!canIssue(template)) throw new Error(`this leaf must be signed by ${template.signer}, which needs the key of the CA the target trusts, and none was given`);
      const cannotSign = signingProblem(template);
      if (cannotSign) throw new Error(cannotSign);
      // Only the trusted CA's CRL lists the revoked serial: under any other signer the leaf would not be revoked at all.
      if (template.revoked && template.signer !== 'trusted-ca') throw new Error(`a revoked leaf must be signed by trusted-ca, not ${template.signer}: only its CRL lists the revoked serial`);
      const [key, signer] = await Promise.all([keys.get(template.key), signerFor(template)]);
      return signLeaf(userCa ? capLeafValidity(template, clock()) : template, key, signer, revokedSerial ? { revokedSerial } : {});
    },
  };
}

/** Whose key signs, in the words of a skipped case's reason. */
const signerNames: Record<LeafTemplate['signer'], string> = {
  'trusted-ca': "the CA's",
  'untrusted-ca': "the untrusted CA's",
  'impostor-ca': "the impostor CA's (of the CA's kind)",
  intermediate: "the intermediate CA's",
  'intermediate-below-pathlen-0': "the intermediate CA's",
  'issuer-not-ca': "the issuer's",
  'issuer-without-keycertsign': "the issuer's",
  'rsa-intermediate': "the RSA intermediate's",
  'name-constrained-intermediate': "the intermediate CA's",
  self: "the leaf's own",
};

/** Writes the trusted CA's CRL (the one listing the revoked serial) for a target to load. */
export async function writeTrustedCaCrl(pki: RunPki, file: string): Promise<void> {
  const trustedCaCrl = pki.trustedCaCrl();
  if (!trustedCaCrl) throw new Error('no CRL to write: signing one needs the trusted CA\'s key (--ca-cert and --ca-key)');
  await writeCrl(file, trustedCaCrl);
}

/** The reference servers answer on loopback by name and by both address families. */
export const loopbackHosts = { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] } as const;
