import { createHash, X509Certificate } from 'node:crypto';

/**
 * A certificate's DER and its SHA-256, as others name a certificate: RFC
 * 8705's cnf."x5t#S256" (base64url), Envoy's XFCC Hash= (hex), RFC 9440's
 * Client-Cert (the DER itself, in base64).
 */

/** DER of the first certificate of a PEM text. */
export function certificateDer(pem: string): Buffer {
  return Buffer.from(new X509Certificate(pem).raw);
}

/** SHA-256 of a certificate's DER, base64url (unpadded, RFC 8705 3.1) or hex. */
export function certificateSha256(der: Buffer, encoding: 'base64url' | 'hex' = 'base64url'): string {
  return createHash('sha256').update(der).digest(encoding);
}
