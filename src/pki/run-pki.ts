import { createRootAuthority, signLeaf, type Authority, type IssuedLeaf } from './authority.js';
import { KeyPool, generateKey } from './keys.js';
import { durations, validClientTemplate, validServerTemplate, type LeafTemplate, type TemplateContext } from './template.js';

/**
 * The PKI of one run: a fresh trusted CA, a stranger CA the target has never
 * seen, a server leaf for the reference servers, and the means to issue any
 * client leaf from a template. Nothing is reused across runs.
 */
export interface RunPki {
  readonly context: TemplateContext;
  readonly clientSpiffeId: string;
  readonly trustedCa: Authority;
  readonly untrustedCa: Authority;
  readonly server: IssuedLeaf;
  /** The valid client template every case starts from. */
  validClientTemplate(): LeafTemplate;
  issue(template: LeafTemplate): Promise<IssuedLeaf>;
}

export interface RunPkiOptions {
  clientSpiffeId: string;
  serverDnsNames?: readonly string[];
  serverIpAddresses?: readonly string[];
  now?: Date;
}

export async function createRunPki(options: RunPkiOptions): Promise<RunPki> {
  const context: TemplateContext = { now: options.now ?? new Date() };
  const caValidity = {
    notBefore: new Date(context.now.getTime() - durations.day),
    notAfter: new Date(context.now.getTime() + 30 * durations.day),
  };
  const keys = new KeyPool();
  const [trustedCa, untrustedCa, serverKey] = await Promise.all([
    createRootAuthority('CN=mtlspec test CA, O=mtlspec', caValidity),
    createRootAuthority('CN=mtlspec untrusted CA, O=mtlspec stranger', caValidity),
    // The server gets a key of its own so that no client leaf shares it.
    generateKey('ec-p256'),
  ]);
  const serverTemplate = validServerTemplate(
    { dnsNames: options.serverDnsNames ?? ['localhost'], ipAddresses: options.serverIpAddresses ?? ['127.0.0.1', '::1'] },
    context,
  );
  const server = await signLeaf(serverTemplate, serverKey, trustedCa);

  const signers = { 'trusted-ca': trustedCa, 'untrusted-ca': untrustedCa, self: 'self' } as const;
  return {
    context,
    clientSpiffeId: options.clientSpiffeId,
    trustedCa,
    untrustedCa,
    server,
    validClientTemplate: () => validClientTemplate(options.clientSpiffeId, context),
    issue: async (template) => signLeaf(template, await keys.get(template.key), signers[template.signer]),
  };
}
