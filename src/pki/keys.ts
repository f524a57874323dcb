import { createHash, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { takePrewarmedRsa2048 } from './prewarm.js';
import type { KeyAlgorithm } from './template.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * A key pair as the PKI uses it. Node KeyObjects rather than WebCrypto keys:
 * node:crypto signs synchronously and with any digest OpenSSL has (MD5 and
 * SHA-1 included), which WebCrypto does not offer.
 */
export interface KeyMaterial {
  readonly algorithm: KeyAlgorithm;
  readonly privateKey: KeyObject;
  /** SubjectPublicKeyInfo DER: what a certificate for this key carries. */
  readonly spki: Buffer;
  /** RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits. */
  readonly keyIdentifier: Buffer;
  /** PKCS#8 PEM of the private key: handed to TLS, never to a report. */
  readonly privateKeyPem: string;
}

export async function generateKey(algorithm: KeyAlgorithm): Promise<KeyMaterial> {
  const { privateKey, publicKey } = await generatePair(algorithm);
  return keyMaterial(algorithm, privateKey, publicKey);
}

/** RSA-PSS keys are plain rsaEncryption keys, as WebCrypto made them: only the signatures they make differ. */
function generatePair(algorithm: KeyAlgorithm): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  switch (algorithm) {
    case 'ec-p256':
      return generateKeyPairAsync('ec', { namedCurve: 'P-256' });
    case 'ec-p384':
      return generateKeyPairAsync('ec', { namedCurve: 'P-384' });
    case 'rsa-2048':
    case 'rsa-pss-2048':
      return takePrewarmedRsa2048() ?? generateKeyPairAsync('rsa', { modulusLength: 2048 });
    case 'rsa-1024':
      return generateKeyPairAsync('rsa', { modulusLength: 1024 });
    case 'ed25519':
      return generateKeyPairAsync('ed25519');
  }
}

export function keyMaterial(algorithm: KeyAlgorithm, privateKey: KeyObject, publicKey: KeyObject): KeyMaterial {
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return { algorithm, privateKey, spki, keyIdentifier: keyIdentifierOf(spki, 'sha1'), privateKeyPem };
}

/**
 * A key identifier from the subjectPublicKey bits: SHA-1 (RFC 5280 method 1)
 * or SHA-256 cut to 160 bits (RFC 7093 method 1).
 */
export function keyIdentifierOf(spki: Buffer, hash: 'sha1' | 'sha256'): Buffer {
  const bits = Buffer.from(AsnConvert.parse(spki, SubjectPublicKeyInfo).subjectPublicKey);
  return createHash(hash).update(bits).digest().subarray(0, 20);
}

/**
 * Keys are the slow part of a PKI (RSA-2048 takes 50-300 ms here), and a leaf
 * defect almost never concerns the key itself. So each run generates one key
 * per algorithm and every leaf of that algorithm shares it.
 */
export class KeyPool {
  readonly #keys = new Map<KeyAlgorithm, Promise<KeyMaterial>>();

  get(algorithm: KeyAlgorithm): Promise<KeyMaterial> {
    let key = this.#keys.get(algorithm);
    if (!key) {
      // An RSA-PSS key is a plain RSA key; only its signatures differ. One key serves both.
      key = algorithm === 'rsa-pss-2048' ? this.get('rsa-2048').then((rsa) => ({ ...rsa, algorithm })) : generateKey(algorithm);
      this.#keys.set(algorithm, key);
    }
    return key;
  }

  /**
   * Starts generating keys the run will want later, so the thread pool works
   * on them while the main thread does everything else. Failures surface when
   * the key is asked for.
   */
  warmUp(algorithms: readonly KeyAlgorithm[]): void {
    for (const algorithm of algorithms) this.get(algorithm).catch(() => undefined);
  }
}

export function toPem(der: Buffer, label: string): string {
  const body = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}
