import { constants, sign } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import type { KeyMaterial } from './keys.js';
import type { KeyAlgorithm, LeafTemplate } from './template.js';

export type SignatureHash = LeafTemplate['signatureHash'];

/** How one signature is made and how a certificate names it. */
export interface SignatureScheme {
  readonly identifier: AlgorithmIdentifier;
  /** The same identifier as DER, for the outer Certificate / CertificateList. */
  readonly identifierDer: Buffer;
  /** node:crypto's digest name; null for Ed25519, which hashes by itself. */
  readonly digest: string | null;
  readonly padding: 'pkcs1' | 'pss' | 'none';
  /** ECDSA signatures are DER (r, s); the others are opaque bytes. */
  readonly ecdsa: boolean;
}

// RSASSA-PKCS1-v1_5 identifiers carry an explicit NULL (RFC 4055 5); ECDSA and Ed25519 carry none.
const rsaNullParameters = new Uint8Array([0x05, 0x00]).buffer;
// RSASSA-PSS-params: SHA-256, MGF1 with SHA-256, 32-byte salt (RFC 4055 3.1), as WebCrypto signs.
const pssSha256Parameters = new Uint8Array(Buffer.from(
  '3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120',
  'hex',
)).buffer;

function scheme(oid: string, digest: string | null, padding: SignatureScheme['padding'], parameters?: ArrayBuffer): SignatureScheme {
  const identifier = new AlgorithmIdentifier({ algorithm: oid, ...(parameters ? { parameters } : {}) });
  return { identifier, identifierDer: Buffer.from(AsnConvert.serialize(identifier)), digest, padding, ecdsa: oid.startsWith('1.2.840.10045.') };
}

// Built once: every certificate of the run shares these objects.
const schemes = {
  ecdsaSha1: scheme('1.2.840.10045.4.1', 'sha1', 'none'),
  ecdsaSha256: scheme('1.2.840.10045.4.3.2', 'sha256', 'none'),
  ecdsaSha384: scheme('1.2.840.10045.4.3.3', 'sha384', 'none'),
  rsaMd5: scheme('1.2.840.113549.1.1.4', 'md5', 'pkcs1', rsaNullParameters),
  rsaSha1: scheme('1.2.840.113549.1.1.5', 'sha1', 'pkcs1', rsaNullParameters),
  rsaSha256: scheme('1.2.840.113549.1.1.11', 'sha256', 'pkcs1', rsaNullParameters),
  rsaPssSha256: scheme('1.2.840.113549.1.1.10', 'sha256', 'pss', pssSha256Parameters),
  ed25519: scheme('1.3.101.112', null, 'none'),
} as const;

/** The scheme a key of this kind signs with, given the hash a template asks for. */
export function signatureScheme(key: KeyAlgorithm, hash: SignatureHash): SignatureScheme {
  const problem = signatureProblem(key, hash);
  if (problem) throw new Error(`cannot sign with a ${hash} signature using a ${key} key: ${problem}`);
  switch (key) {
    case 'ec-p256':
    case 'ec-p384':
      if (hash === 'SHA-1') return schemes.ecdsaSha1;
      return key === 'ec-p256' ? schemes.ecdsaSha256 : schemes.ecdsaSha384;
    case 'rsa-2048':
    case 'rsa-1024':
      return hash === 'MD5' ? schemes.rsaMd5 : hash === 'SHA-1' ? schemes.rsaSha1 : schemes.rsaSha256;
    case 'rsa-pss-2048':
      return schemes.rsaPssSha256;
    case 'ed25519':
      return schemes.ed25519;
  }
}

/**
 * Why a key of this kind cannot make a signature with this hash, or
 * undefined when it can. Asked before signing, so a run whose CA is of the
 * wrong kind for a case skips that case with the reason.
 */
export function signatureProblem(key: KeyAlgorithm, hash: SignatureHash): string | undefined {
  if (hash === 'default') return undefined;
  switch (key) {
    case 'ec-p256':
    case 'ec-p384':
      return hash === 'MD5' ? 'MD5 exists only as md5WithRSAEncryption: sign with an RSA issuer (rsa-intermediate)' : undefined;
    case 'rsa-2048':
    case 'rsa-1024':
      return undefined;
    case 'rsa-pss-2048':
      return 'mtlspec signs RSA-PSS with SHA-256 only';
    case 'ed25519':
      return 'Ed25519 has no choice of hash';
  }
}

/** How a person names a key of this kind. */
export const keyAlgorithmLabels: Record<KeyAlgorithm, string> = {
  'ec-p256': 'P-256 ECDSA',
  'ec-p384': 'P-384 ECDSA',
  'rsa-2048': 'RSA',
  'rsa-1024': 'RSA-1024',
  'rsa-pss-2048': 'RSA-PSS',
  ed25519: 'Ed25519',
};

export function signBytes(data: Buffer, key: KeyMaterial, signatureScheme: SignatureScheme): Buffer {
  if (signatureScheme.padding === 'pss') {
    return sign(signatureScheme.digest, data, { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  }
  return sign(signatureScheme.digest, data, key.privateKey);
}

/**
 * The signature with one bit flipped, so it no longer verifies. For ECDSA the
 * bit is the last one of r, deep inside the INTEGER: the DER stays valid, so
 * a verifier reaches the signature check instead of failing to parse.
 */
export function corruptSignature(signature: Buffer, signatureScheme: SignatureScheme): Buffer {
  const corrupted = Buffer.from(signature);
  const target = signatureScheme.ecdsa ? lastByteOfR(corrupted) : corrupted.length - 1;
  corrupted[target] = (corrupted[target] ?? 0) ^ 0x01;
  return corrupted;
}

/** Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 2.2.3). */
function lastByteOfR(der: Buffer): number {
  const lengthByte = der[1] ?? 0;
  const rTag = lengthByte < 0x80 ? 2 : 2 + (lengthByte & 0x7f);
  const rLength = der[rTag + 1] ?? 0;
  if (der[0] !== 0x30 || der[rTag] !== 0x02 || rLength === 0) throw new Error('not a DER ECDSA signature');
  return rTag + 1 + rLength;
}
