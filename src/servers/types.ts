import type { TokenPolicy } from '../token/verifier.js';

/**
 * What a reference server needs and what it gives back. The reference servers
 * (gRPC, HTTP/2 and raw TLS) share this contract so the suite's hooks and the `serve`
 * command can treat them alike.
 */

/**
 * Deliberate flaws. A correct server has none. Each flaw switches off exactly
 * one check, so the project's own tests can prove that the harness notices
 * that check missing and nothing else.
 */
export type ServerFlaw =
  /** Requests a client certificate but accepts any, or none; a certificate that does not verify counts as none. */
  | 'accept-any-cert'
  /** Serves a client that sends no certificate; a certificate that is sent must still verify fully. */
  | 'cert-optional'
  /** Allows TLS 1.2 as well as TLS 1.3. */
  | 'allow-tls12'
  /** Allows TLS 1.0 and 1.1 as well as TLS 1.3 (TLS 1.2 stays refused unless allow-tls12 is on too). */
  | 'allow-legacy-tls'
  /** Accepts a certificate whose only fault is its key usage or extended key usage. */
  | 'ignore-eku'
  /** Accepts certificates that have expired or are not yet valid. */
  | 'ignore-expiry'
  /** Does not load the CRLs, so a revoked certificate is accepted. */
  | 'ignore-crl'
  /** Accepts a certificate whose only fault is a critical extension nobody here understands. */
  | 'accept-unknown-critical-extension'
  /** Accepts RSA keys under 2048 bits and SHA-1 or MD5 signatures. */
  | 'weak-crypto'
  /** Authorizes any well-formed SPIFFE ID, from any trust domain. */
  | 'no-spiffe-authorization'
  /** Skips the X509-SVID structure rules, but still applies the allow list to the first URI SAN. */
  | 'ignore-svid-rules';

export const allServerFlaws: readonly ServerFlaw[] = [
  'accept-any-cert',
  'cert-optional',
  'allow-tls12',
  'allow-legacy-tls',
  'ignore-eku',
  'ignore-expiry',
  'ignore-crl',
  'accept-unknown-critical-extension',
  'weak-crypto',
  'no-spiffe-authorization',
  'ignore-svid-rules',
];

export interface ReferenceServerOptions {
  /** PEM of the CA(s) that issue client certificates the server trusts; ignored in pinned mode. */
  clientCaPem: string;
  /**
   * CRLs (PEM) of the client CA and of every intermediate below it: OpenSSL
   * checks every certificate of the chain, so a missing CRL refuses the chain.
   * Not used in pinned mode.
   */
  crlPems?: readonly string[];
  /**
   * Pinned mode: trust exactly these (self-signed) client certificates, each
   * its own trust anchor, instead of `clientCaPem`. Pinned clients carry no
   * SPIFFE ID, so the pin is the whole authorization: no SPIFFE checks.
   */
  pinnedClientCertPems?: readonly string[];
  /** PEM of the server's certificate chain (leaf first). */
  certPem: string;
  /** PEM of the server's private key. */
  keyPem: string;
  /** SPIFFE IDs (URI SAN) allowed to call the application; exact match. */
  allowedSpiffeIds: readonly string[];
  /** Flaws to switch on; empty for the correct server. */
  flaws: readonly ServerFlaw[];
  /**
   * Token mode (gRPC and HTTP/2): every request must also carry a bearer
   * token that verifies under this policy, bound to the client's certificate.
   */
  token?: TokenPolicy;
  /** Loopback address to bind; default 127.0.0.1. */
  host?: string;
  /** Port; default 0 (ephemeral). */
  port?: number;
}

export interface RunningServer {
  readonly protocol: 'grpc' | 'http2' | 'tls';
  readonly host: string;
  readonly port: number;
  /** A URL naming the application endpoint, e.g. grpcs://127.0.0.1:4321/mtlspec.demo.DemoService/SayHello. */
  readonly url: string;
  /** Stops listening and destroys open sessions; resolves within a second. */
  close(): Promise<void>;
}
