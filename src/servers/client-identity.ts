import type { X509Certificate } from 'node:crypto';
import type { ReferenceServerOptions } from './types.js';

/**
 * Who the caller is, as far as the reference servers are concerned, and
 * whether it may call the application. Shared by the gRPC and HTTP/2 servers
 * so that both make exactly the same decision for the same certificate.
 */

export interface ClientIdentity {
  /** The certificate's subject DN, RDNs joined with ", " (e.g. "CN=client, O=example"). */
  subject: string;
  /** The single URI SAN, when the certificate has exactly one. */
  spiffeId: string | null;
}

export interface AuthorizationPolicy {
  /** Exact-match allow list of SPIFFE IDs. */
  allowedSpiffeIds: readonly string[];
  /**
   * Serve callers that present no certificate, or one without a URI SAN.
   * Only the `accept-any-cert` flaw sets this: a correct server never serves
   * an anonymous caller, even though TLS should already have stopped it.
   */
  allowAnonymous: boolean;
}

export type AuthorizationDecision =
  | { allowed: true; client: ClientIdentity | null }
  | { allowed: false; reason: string };

/**
 * Decides whether the holder of `cert` may call the application.
 *
 * `cert` must be a certificate the TLS layer has verified (or undefined): the
 * SPIFFE ID is only meaningful when its issuer is trusted, so the servers pass
 * nothing for an unverified certificate rather than believe what it says.
 */
export function authorizeClient(cert: X509Certificate | undefined, policy: AuthorizationPolicy): AuthorizationDecision {
  if (cert === undefined) {
    return policy.allowAnonymous
      ? { allowed: true, client: null }
      : { allowed: false, reason: 'no verified client certificate was presented' };
  }
  const subject = formatSubject(cert.subject);
  const uris = uriSans(cert);
  if (uris.length === 0) {
    return policy.allowAnonymous
      ? { allowed: true, client: { subject, spiffeId: null } }
      : { allowed: false, reason: `client certificate "${subject}" has no URI SAN, so no spiffe id` };
  }
  if (uris.length > 1) {
    // SPIFFE X.509-SVIDs carry exactly one URI SAN; picking one of several
    // would let a certificate claim an identity it was not meant to have.
    const list = uris.map((u) => JSON.stringify(u)).join(', ');
    return { allowed: false, reason: `client certificate has ${uris.length} URI SANs (${list}); a spiffe id must be the only one` };
  }
  const [uri] = uris as [string];
  if (!uri.startsWith('spiffe://')) {
    return { allowed: false, reason: `URI SAN ${JSON.stringify(uri)} is not a spiffe id` };
  }
  if (!policy.allowedSpiffeIds.includes(uri)) {
    return { allowed: false, reason: `spiffe id ${JSON.stringify(uri)} is not authorized` };
  }
  return { allowed: true, client: { subject, spiffeId: uri } };
}

/** All URI SANs of the certificate, in order. */
export function uriSans(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  if (san === undefined) return [];
  return parseSubjectAltName(san)
    .filter((entry) => entry.type === 'URI')
    .map((entry) => entry.value);
}

interface SanEntry {
  type: string;
  value: string;
}

/**
 * Parses Node's textual subjectAltName ("DNS:a, URI:spiffe://x, ...").
 *
 * Node quotes a value as a JSON string when it contains characters that would
 * make the list ambiguous (such as ", "), so a hostile certificate cannot
 * smuggle a second entry inside one value; this parser honours that quoting
 * instead of naively splitting on commas.
 */
export function parseSubjectAltName(text: string): SanEntry[] {
  const entries: SanEntry[] = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const type = text.slice(i, colon);
    let value: string;
    let next: number;
    if (text[colon + 1] === '"') {
      const end = closingQuote(text, colon + 1);
      value = JSON.parse(text.slice(colon + 1, end + 1)) as string;
      next = end + 1;
    } else {
      const sep = text.indexOf(', ', colon + 1);
      next = sep < 0 ? text.length : sep;
      value = text.slice(colon + 1, next);
    }
    entries.push({ type, value });
    i = text.startsWith(', ', next) ? next + 2 : next;
  }
  return entries;
}

/** Index of the quote closing the JSON string that opens at `open`. */
function closingQuote(text: string, open: number): number {
  for (let j = open + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j;
  }
  throw new Error(`unterminated quoted value in subjectAltName: ${text}`);
}

/** Node separates RDNs with newlines; one line reads better in messages and JSON. */
function formatSubject(subject: string): string {
  return subject.split('\n').filter(Boolean).join(', ');
}

/** The policy a reference server enforces, given its options and flaws. */
export function authorizationPolicy(opts: Pick<ReferenceServerOptions, 'allowedSpiffeIds' | 'flaws'>): AuthorizationPolicy {
  return {
    allowedSpiffeIds: opts.allowedSpiffeIds,
    allowAnonymous: opts.flaws.includes('accept-any-cert'),
  };
}
