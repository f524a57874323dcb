import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import type { KeyAlgorithm } from './template.js';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams | webcrypto.Algorithm;

/** WebCrypto parameters for each key algorithm, and the matching signature algorithm. */
const keyGenParams: Record<KeyAlgorithm, Algorithm> = {
  'ec-p256': { name: 'ECDSA', namedCurve: 'P-256' } as webcrypto.EcKeyGenParams,
  'ec-p384': { name: 'ECDSA', namedCurve: 'P-384' } as webcrypto.EcKeyGenParams,
  'rsa-2048': rsa('RSASSA-PKCS1-v1_5', 2048),
  'rsa-1024': rsa('RSASSA-PKCS1-v1_5', 1024),
  'rsa-pss-2048': rsa('RSA-PSS', 2048),
  ed25519: { name: 'Ed25519' },
};

function rsa(name: string, modulusLength: number): webcrypto.RsaHashedKeyGenParams {
  return { name, modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
}

/** The algorithm a key of this kind signs with (SHA-256 where a hash applies). */
export function signingAlgorithm(key: KeyAlgorithm): webcrypto.Algorithm | webcrypto.EcdsaParams | webcrypto.RsaPssParams {
  switch (key) {
    case 'ec-p256':
      return { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams;
    case 'ec-p384':
      return { name: 'ECDSA', hash: 'SHA-384' } as webcrypto.EcdsaParams;
    case 'rsa-pss-2048':
      return { name: 'RSA-PSS', hash: 'SHA-256', saltLength: 32 } as webcrypto.RsaPssParams;
    case 'rsa-2048':
    case 'rsa-1024':
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as webcrypto.Algorithm;
    case 'ed25519':
      return { name: 'Ed25519' };
  }
}

export interface KeyMaterial {
  readonly algorithm: KeyAlgorithm;
  readonly pair: CryptoKeyPair;
  /** PKCS#8 PEM of the private key: handed to TLS, never to a report. */
  readonly privateKeyPem: string;
}

export async function generateKey(algorithm: KeyAlgorithm): Promise<KeyMaterial> {
  const pair = (await webcrypto.subtle.generateKey(keyGenParams[algorithm], true, ['sign', 'verify'])) as CryptoKeyPair;
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', pair.privateKey);
  return { algorithm, pair, privateKeyPem: toPem(Buffer.from(pkcs8), 'PRIVATE KEY') };
}

/**
 * Keys are the slow part of a PKI (RSA-2048 takes 130-300 ms here), and a leaf
 * defect almost never concerns the key itself. So each run generates one key
 * per algorithm and every leaf of that algorithm shares it.
 */
export class KeyPool {
  readonly #keys = new Map<KeyAlgorithm, Promise<KeyMaterial>>();

  get(algorithm: KeyAlgorithm): Promise<KeyMaterial> {
    let key = this.#keys.get(algorithm);
    if (!key) {
      key = generateKey(algorithm);
      this.#keys.set(algorithm, key);
    }
    return key;
  }
}

export function toPem(der: Buffer, label: string): string {
  const body = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}
