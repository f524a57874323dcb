import { certificateDer, certificateSha256 } from '../pki/certificate-hash.js';
import type { RequestHeader } from '../probe/request-headers.js';
import type { LeafTemplate } from '../pki/template.js';

/**
 * Identity headers a TLS-terminating proxy puts in front of a backend, and
 * the forged copies a client sends hoping the proxy passes them on (or that
 * the backend can be reached without the proxy). What a case sends is data:
 * a header family and a way of sending it (fixtures/proxy-cases.ts).
 */

/** The name every forged identity carries, so an answer that names it is read as the forgery believed. */
export const forgedName = 'mtlspec-forged-admin';

/** The identity the forged headers claim: an administrator nobody issued a certificate to. */
export interface ForgedIdentity {
  readonly spiffeId: string;
  readonly subject: string;
  /** A certificate (self-signed, never trusted) carrying that identity, for the headers that hold a whole certificate. */
  readonly certPem: string;
  /** The SPIFFE ID of the certificate actually presented, for the fields a proxy sets about it (XFCC's By=). */
  readonly serverSpiffeId: string;
}

/**
 * The identity forged headers claim, with a self-signed certificate for the
 * headers that carry one: nobody trusts it, and it is never presented.
 */
export async function mintForgedIdentity(
  pki: { issue(template: LeafTemplate): Promise<{ readonly certPem: string }>; validClientTemplate(): LeafTemplate },
  clientSpiffeId: string,
  serverSpiffeId: string | undefined,
): Promise<ForgedIdentity> {
  const spiffeId = forgedSpiffeId(clientSpiffeId);
  const subject = `CN=${forgedName}, O=mtlspec`;
  const issued = await pki.issue({ ...pki.validClientTemplate(), signer: 'self', subject, uris: [spiffeId] });
  // XFCC's By= names the proxy: the server's SPIFFE ID when the run knows it.
  return { spiffeId, subject, certPem: issued.certPem, serverSpiffeId: serverSpiffeId ?? 'spiffe://example.org/proxy' };
}

/** The forged SPIFFE ID in the client's trust domain: what a backend that believes the header would authorize. */
export function forgedSpiffeId(clientSpiffeId: string): string {
  const domain = /^spiffe:\/\/([^/]+)/.exec(clientSpiffeId)?.[1] ?? 'example.org';
  return `spiffe://${domain}/${forgedName}`;
}

/** The header families the cases forge, each with the value a proxy of that kind would write for the forged identity. */
export const identityHeaders = {
  /** Envoy's x-forwarded-client-cert: By (the proxy's own identity), Hash (of the client's DER), URI (its SPIFFE ID). */
  xfcc: (f: ForgedIdentity): RequestHeader[] => [header('X-Forwarded-Client-Cert', `By=${f.serverSpiffeId};Hash=${certificateSha256(certificateDer(f.certPem), 'hex')};Subject="${f.subject}";URI=${f.spiffeId}`)],
  /** nginx / HAProxy style: the verification result, with the subject it vouches for. */
  'ssl-client-verify': (f: ForgedIdentity): RequestHeader[] => [header('X-SSL-Client-Verify', 'SUCCESS'), header('X-SSL-Client-S-DN', f.subject)],
  /** nginx's $ssl_client_escaped_cert: the URL-encoded PEM. */
  'ssl-client-cert': (f: ForgedIdentity): RequestHeader[] => [header('X-SSL-Client-Cert', encodeURIComponent(f.certPem))],
  'ssl-client-dn': (f: ForgedIdentity): RequestHeader[] => [header('X-SSL-Client-DN', f.subject)],
  'ssl-client-s-dn': (f: ForgedIdentity): RequestHeader[] => [header('X-SSL-Client-S-DN', f.subject)],
  /** A base64 DER in a generic field many in-house proxies use. */
  'x-client-cert': (f: ForgedIdentity): RequestHeader[] => [header('X-Client-Cert', certificateDer(f.certPem).toString('base64'))],
  /** RFC 9440: a Structured Field Byte Sequence, base64 DER between colons. */
  'client-cert': (f: ForgedIdentity): RequestHeader[] => [header('Client-Cert', `:${certificateDer(f.certPem).toString('base64')}:`)],
  /** Lower case, as some Kubernetes ingress controllers name it: the URL-encoded PEM. */
  'ssl-client-cert-lower': (f: ForgedIdentity): RequestHeader[] => [header('ssl-client-cert', encodeURIComponent(f.certPem))],
  /** Traefik's PassTLSClientCert: the base64 DER. */
  'forwarded-tls-client-cert': (f: ForgedIdentity): RequestHeader[] => [header('X-Forwarded-Tls-Client-Cert', certificateDer(f.certPem).toString('base64'))],
} as const satisfies Record<string, (forged: ForgedIdentity) => RequestHeader[]>;

export type IdentityHeaderFamily = keyof typeof identityHeaders;

/**
 * How the forged header travels: alone; twice, the forged value first (a
 * proxy that appends its own value after the client's, and a backend that
 * reads the first); or with its name in another case (a filter that compares
 * names case-sensitively; HTTP/2 lower-cases every name, so there it is the
 * duplicate that matters).
 */
export type ForgeWay = 'as-is' | 'duplicated' | 'other-case';

export function forgedHeaders(family: IdentityHeaderFamily, way: ForgeWay, forged: ForgedIdentity): RequestHeader[] {
  const headers = identityHeaders[family](forged);
  if (way === 'duplicated') return [...headers, ...headers];
  if (way === 'other-case') return headers.map((h) => ({ ...h, name: swapCase(h.name) }));
  return headers;
}

function header(name: string, value: string): RequestHeader {
  // Forged values are no secret: the evidence shows them, cut short.
  return { name, value, shown: value.length > 80 ? `${value.slice(0, 77)}...` : value };
}

function swapCase(name: string): string {
  return [...name].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
}

