import type { KeyObject } from 'node:crypto';
import type { CertificateFacts } from './certificate-facts.js';

/**
 * What "weak" means for the reference servers: OpenSSL's security level 2
 * (112-bit security), the level the correct servers run at. At OpenSSL 3.0's
 * default level 1 an RSA-1024 client key is accepted, so the level is set
 * explicitly; these rules repeat it in code for the configurations whose
 * OpenSSL level must be 0 (legacy TLS) and for the verification audit.
 */

const minimumRsaBits = 2048;
const minimumCurveBits = 224;

/** Signature algorithms below 112-bit security: MD2, MD4, MD5 with RSA, and everything with SHA-1. */
const weakSignatureOids = new Set([
  '1.2.840.113549.1.1.2', // md2WithRSAEncryption
  '1.2.840.113549.1.1.3', // md4WithRSAEncryption
  '1.2.840.113549.1.1.4', // md5WithRSAEncryption
  '1.2.840.113549.1.1.5', // sha1WithRSAEncryption
  '1.2.840.10045.4.1', // ecdsa-with-SHA1
  '1.2.840.10040.4.3', // dsa-with-sha1
  '1.3.14.3.2.29', // sha1WithRSASignature (OIW)
]);
const weakHashes = new Set(['MD2', 'MD4', 'MD5', 'SHA-1']);

/** Why the key is too weak, or undefined when it is strong enough. */
export function weakKeyReason(key: KeyObject): string | undefined {
  const details = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
    case 'dsa': {
      const bits = details?.modulusLength ?? 0;
      return bits < minimumRsaBits ? `${key.asymmetricKeyType} key of ${bits} bits (at least ${minimumRsaBits} required)` : undefined;
    }
    case 'ec': {
      // Standard curve names carry their field size: prime256v1, secp384r1, sect163k1...
      const curve = details?.namedCurve ?? '';
      const bits = Number(/\d{3}/.exec(curve)?.[0] ?? Number.NaN);
      return bits < minimumCurveBits ? `EC key on ${curve} (at least ${minimumCurveBits}-bit curves required)` : undefined;
    }
    default:
      // Ed25519 and Ed448 are strong; anything else is left to OpenSSL.
      return undefined;
  }
}

/** Why the certificate's signature algorithm is too weak, or undefined. */
export function weakSignatureReason(facts: CertificateFacts): string | undefined {
  const { name, hash } = facts.signatureAlgorithm;
  if (weakSignatureOids.has(name)) return `signature algorithm ${name} is too weak`;
  if (hash !== undefined && weakHashes.has(hash)) return `signature hash ${hash} is too weak`;
  return undefined;
}
