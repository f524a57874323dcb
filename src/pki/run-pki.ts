import { createRootAuthority, signLeaf, type Authority, type IssuedLeaf } from './authority.js';
import { KeyPool, generateKey } from './keys.js';
import { durations, validClientTemplate, validServerTemplate, type LeafTemplate, type TemplateContext } from './template.js';

/**
 * The PKI of one run: the CA the target trusts for clients (fresh, or the
 * user's), a stranger CA the target has never seen, optionally a server leaf
 * for the reference servers, and the means to issue any client leaf from a
 * template. Nothing is reused across runs.
 */
export interface RunPki {
  readonly context: TemplateContext;
  readonly clientSpiffeId: string;
  /** Undefined when the user gave only a client credential: nothing can be minted in the target's trust. */
  readonly trustedCa: Authority | undefined;
  readonly untrustedCa: Authority;
  /** Present when asked for: the reference servers' own certificate. */
  readonly server: IssuedLeaf | undefined;
  /** The valid client template every case starts from. */
  validClientTemplate(): LeafTemplate;
  /** Whether this template can be signed in this run (a trusted-CA leaf needs the CA key). */
  canIssue(template: LeafTemplate): boolean;
  issue(template: LeafTemplate): Promise<IssuedLeaf>;
}

export interface RunPkiOptions {
  clientSpiffeId: string;
  /** The client-issuing CA: generate a fresh one, use the user's, or have none. */
  trustedCa: 'generate' | 'none' | Authority;
  /** Issue a server leaf (signed by the trusted CA) naming these hosts. */
  serverHosts?: { dnsNames: readonly string[]; ipAddresses: readonly string[] };
  now?: Date;
}

export async function createRunPki(options: RunPkiOptions): Promise<RunPki> {
  const context: TemplateContext = { now: options.now ?? new Date() };
  const caValidity = {
    notBefore: new Date(context.now.getTime() - durations.day),
    notAfter: new Date(context.now.getTime() + 30 * durations.day),
  };
  const keys = new KeyPool();
  const [trustedCa, untrustedCa] = await Promise.all([
    options.trustedCa === 'generate'
      ? createRootAuthority('CN=mtlspec test CA, O=mtlspec', caValidity)
      : options.trustedCa === 'none'
        ? undefined
        : options.trustedCa,
    createRootAuthority('CN=mtlspec untrusted CA, O=mtlspec stranger', caValidity),
  ]);
  let server: IssuedLeaf | undefined;
  if (options.serverHosts) {
    if (!trustedCa) throw new Error('a server leaf needs a trusted CA to sign it');
    // The server gets a key of its own so that no client leaf shares it.
    server = await signLeaf(validServerTemplate(options.serverHosts, context), await generateKey('ec-p256'), trustedCa);
  }

  const signerFor = (template: LeafTemplate): Authority | 'self' | undefined =>
    template.signer === 'self' ? 'self' : template.signer === 'untrusted-ca' ? untrustedCa : trustedCa;
  return {
    context,
    clientSpiffeId: options.clientSpiffeId,
    trustedCa,
    untrustedCa,
    server,
    validClientTemplate: () => validClientTemplate(options.clientSpiffeId, context),
    canIssue: (template) => signerFor(template) !== undefined,
    issue: async (template) => {
      const signer = signerFor(template);
      if (!signer) throw new Error('this leaf must be signed by the CA the target trusts, and no CA key was given');
      return signLeaf(template, await keys.get(template.key), signer);
    },
  };
}

/** The reference servers answer on loopback by name and by both address families. */
export const loopbackHosts = { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] } as const;
