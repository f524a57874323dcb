import { createPrivateKey, X509Certificate as NodeCertificate, type KeyObject } from 'node:crypto';
import { authorityFrom, type Authority } from './authority.js';
import { keyMaterial } from './keys.js';
import type { KeyAlgorithm } from './template.js';

/**
 * Turns a CA the user hands us (certificate + key PEM, in any of the usual
 * encodings: PKCS#8, SEC1 "EC PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY") into an
 * Authority that can sign leaves. The key stays in memory; it is never
 * written anywhere by mtlspec. The CA is the trust anchor as far as mtlspec
 * knows, so leaves it signs send no chain.
 */
export async function importAuthority(certPem: string, keyPem: string): Promise<Authority> {
  const privateKey = createPrivateKey(keyPem);
  const algorithm = keyAlgorithmOf(privateKey);
  const key = keyMaterial(algorithm, privateKey, new NodeCertificate(certPem).publicKey);
  return authorityFrom(certPem, key, []);
}

/** The nearest KeyAlgorithm label; it decides the signature algorithm (SHA-256 family). */
export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm {
  switch (key.asymmetricKeyType) {
    case 'ec':
      if (key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ec-p256';
      if (key.asymmetricKeyDetails?.namedCurve === 'secp384r1') return 'ec-p384';
      throw new Error(`EC curve ${key.asymmetricKeyDetails?.namedCurve ?? 'unknown'} is not supported for signing; use P-256 or P-384`);
    case 'rsa':
      return 'rsa-2048';
    case 'rsa-pss':
      return 'rsa-pss-2048';
    case 'ed25519':
      return 'ed25519';
    default:
      throw new Error(`key type ${key.asymmetricKeyType ?? 'unknown'} is not supported for signing`);
  }
}
