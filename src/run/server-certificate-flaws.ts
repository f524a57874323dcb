import type { LeafTemplate, TemplateContext } from '../pki/template.js';
import { durations } from '../pki/template.js';

/**
 * Deliberate faults in the built-in servers' own certificate, one per
 * server-identity case, so the project's tests can show those cases catch
 * them. (Faults in how the servers judge clients live in src/servers.)
 */
export const serverCertificateFlaws = {
  /** Signed by a CA the client was not told to trust. */
  'server-cert-untrusted': (t) => ({ ...t, signer: 'untrusted-ca' }),
  /** Names another host only. */
  'server-cert-wrong-host': (t) => ({ ...t, dnsNames: ['elsewhere.example'], ipAddresses: [] }),
  /** Issued for client authentication, not serverAuth. */
  'server-cert-client-eku': (t) => ({ ...t, extendedKeyUsage: ['clientAuth'] }),
  /** Expired yesterday. */
  'server-cert-expired': (t, { now }) => ({ ...t, notBefore: new Date(now.getTime() - 30 * durations.day), notAfter: new Date(now.getTime() - durations.day) }),
  /** Presents another SPIFFE ID than the one clients expect. */
  'server-cert-wrong-spiffe-id': (t) => ({ ...t, uris: ['spiffe://example.org/impostor'] }),
} as const satisfies Record<string, (valid: LeafTemplate, context: TemplateContext) => LeafTemplate>;

export type ServerCertificateFlaw = keyof typeof serverCertificateFlaws;
export const allServerCertificateFlaws = Object.keys(serverCertificateFlaws) as ServerCertificateFlaw[];

export function isServerCertificateFlaw(flaw: string): flaw is ServerCertificateFlaw {
  return flaw in serverCertificateFlaws;
}
