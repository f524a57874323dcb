import 'reflect-metadata';
import { createPrivateKey, webcrypto, X509Certificate as NodeCertificate, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { Authority } from './authority.js';
import { toPem, type KeyMaterial } from './keys.js';
import type { KeyAlgorithm } from './template.js';

/**
 * Turns a CA the user hands us (certificate + key PEM, in any of the usual
 * encodings: PKCS#8, SEC1 "EC PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY") into an
 * Authority that can sign leaves. The key stays in memory; it is never
 * written anywhere by mtlspec.
 */
export async function importAuthority(certPem: string, keyPem: string): Promise<Authority> {
  const keyObject = createPrivateKey(keyPem);
  const algorithm = keyAlgorithmOf(keyObject);
  const certificate = new x509.X509Certificate(certPem);
  const pkcs8 = keyObject.export({ format: 'der', type: 'pkcs8' });
  const importParams = webCryptoImportParams(algorithm);
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, importParams, false, ['sign']);
  const publicKey = await webcrypto.subtle.importKey('spki', new NodeCertificate(certPem).publicKey.export({ format: 'der', type: 'spki' }), importParams, true, ['verify']);
  const key: KeyMaterial = { algorithm, pair: { privateKey, publicKey }, privateKeyPem: toPem(pkcs8, 'PRIVATE KEY') };
  return { name: certificate.subject, certificate, certPem: certificate.toString('pem') + '\n', key };
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

function webCryptoImportParams(algorithm: KeyAlgorithm): webcrypto.AlgorithmIdentifier | webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams {
  switch (algorithm) {
    case 'ec-p256':
    case 'ec-p384':
      return { name: 'ECDSA', namedCurve: algorithm === 'ec-p256' ? 'P-256' : 'P-384' } as webcrypto.EcKeyImportParams;
    case 'rsa-2048':
    case 'rsa-1024':
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as webcrypto.RsaHashedImportParams;
    case 'rsa-pss-2048':
      return { name: 'RSA-PSS', hash: 'SHA-256' } as webcrypto.RsaHashedImportParams;
    case 'ed25519':
      return { name: 'Ed25519' };
  }
}
