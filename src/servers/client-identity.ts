import type { X509Certificate } from 'node:crypto';
import { certificateFacts, keyUsage } from './certificate-facts.js';
import { parseSpiffeId } from '../spiffe-id.js';
import type { ReferenceServerOptions } from './types.js';

/**
 * Who the caller is, as far as the reference servers are concerned, and
 * whether it may call the application. Shared by the three servers so that
 * they make exactly the same decision for the same certificate. It runs
 * after TLS verification (client-verification.ts) and only ever sees a
 * certificate that verification accepted.
 */

export interface ClientIdentity {
  /** The certificate's subject DN, RDNs joined with ", " (e.g. "CN=client, O=example"). */
  subject: string;
  /** The SPIFFE ID the client was authorized as; null for pinned or anonymous clients. */
  spiffeId: string | null;
}

export interface AuthorizationPolicy {
  /**
   * 'spiffe': the certificate must be an X509-SVID whose ID is allowed.
   * 'pinned': the certificate was one of the pinned ones, which is the whole
   * authorization (pinned certificates carry no SPIFFE ID).
   */
  mode: 'spiffe' | 'pinned';
  /** Exact-match allow list of SPIFFE IDs; their trust domains are the trusted ones. */
  allowedSpiffeIds: readonly string[];
  /** Serve a caller that verification let in without a certificate (accept-any-cert, cert-optional). */
  allowAnonymous: boolean;
  /** The X509-SVID structure rules; off only under ignore-svid-rules. */
  svidRules: boolean;
  /** The allow list (and trust domains); off only under no-spiffe-authorization. */
  allowList: boolean;
}

export type AuthorizationDecision =
  | { allowed: true; client: ClientIdentity | null }
  | { allowed: false; reason: string };

/**
 * Decides whether the holder of `cert` may call the application.
 *
 * `cert` must be a certificate that verification accepted, or undefined for
 * a client it let in without one: the SPIFFE ID is only meaningful when its
 * issuer is trusted.
 */
export function authorizeClient(cert: X509Certificate | undefined, policy: AuthorizationPolicy): AuthorizationDecision {
  if (cert === undefined) {
    return policy.allowAnonymous
      ? { allowed: true, client: null }
      : { allowed: false, reason: 'no verified client certificate was presented' };
  }
  const subject = formatSubject(cert.subject);
  if (policy.mode === 'pinned') return { allowed: true, client: { subject, spiffeId: null } };
  const uris = uriSans(cert);
  const first = uris[0];
  if (first === undefined) {
    return { allowed: false, reason: `client certificate "${subject}" has no URI SAN, so no spiffe id` };
  }
  if (policy.svidRules) {
    const broken = svidRuleBroken(cert, uris);
    if (broken !== undefined) return { allowed: false, reason: broken };
  }
  if (policy.allowList) {
    const refused = allowListRefusal(first, policy);
    if (refused !== undefined) return { allowed: false, reason: refused };
  }
  return { allowed: true, client: { subject, spiffeId: first } };
}

/** The first X509-SVID rule the certificate breaks (SPIFFE X509-SVID sections 2 and 4), if any. */
function svidRuleBroken(cert: X509Certificate, uris: readonly string[]): string | undefined {
  if (uris.length > 1) {
    // An SVID carries exactly one URI SAN; picking one of several would let a
    // certificate claim an identity it was not meant to have.
    const list = uris.map((u) => JSON.stringify(u)).join(', ');
    return `client certificate has ${uris.length} URI SANs (${list}); a spiffe id must be the only one`;
  }
  const [uri] = uris as [string];
  const parsed = parseSpiffeId(uri);
  if (!parsed.ok) return `URI SAN ${JSON.stringify(uri)} is not a spiffe id: ${parsed.reason}`;
  if (parsed.id.path === '') return `spiffe id ${JSON.stringify(uri)} names a trust domain, not a workload: an SVID needs a path`;
  const facts = certificateFacts(cert);
  if (facts.basicConstraints?.ca === true) return 'a leaf SVID must not be a CA (basicConstraints CA:TRUE)';
  if (facts.keyUsage !== undefined && (facts.keyUsage & (keyUsage.keyCertSign | keyUsage.cRLSign)) !== 0) {
    return 'a leaf SVID must not have keyCertSign or cRLSign in its keyUsage';
  }
  return undefined;
}

function allowListRefusal(uri: string, policy: AuthorizationPolicy): string | undefined {
  const parsed = parseSpiffeId(uri);
  // Under ignore-svid-rules a malformed URI still gets here; the allow list alone refuses it.
  if (parsed.ok && !trustDomains(policy.allowedSpiffeIds).has(parsed.id.trustDomain)) {
    return `trust domain ${JSON.stringify(parsed.id.trustDomain)} of spiffe id ${JSON.stringify(uri)} is not trusted`;
  }
  if (!policy.allowedSpiffeIds.includes(uri)) return `spiffe id ${JSON.stringify(uri)} is not authorized`;
  return undefined;
}

function trustDomains(ids: readonly string[]): Set<string> {
  const domains = new Set<string>();
  for (const id of ids) {
    const parsed = parseSpiffeId(id);
    if (parsed.ok) domains.add(parsed.id.trustDomain);
  }
  return domains;
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
export function authorizationPolicy(
  opts: Pick<ReferenceServerOptions, 'allowedSpiffeIds' | 'flaws' | 'pinnedClientCertPems'>,
): AuthorizationPolicy {
  return {
    mode: opts.pinnedClientCertPems === undefined ? 'spiffe' : 'pinned',
    allowedSpiffeIds: opts.allowedSpiffeIds,
    allowAnonymous: opts.flaws.includes('accept-any-cert') || opts.flaws.includes('cert-optional'),
    svidRules: !opts.flaws.includes('ignore-svid-rules'),
    allowList: !opts.flaws.includes('no-spiffe-authorization'),
  };
}
