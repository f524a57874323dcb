import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';

/**
 * A token signing key: the issuer's (the user's --jwt-key, or one made for
 * the built-in servers) or the attacker's. The private half stays a
 * KeyObject in memory; only the public half is ever exported.
 */
export interface SigningKey {
  readonly privateKey: KeyObject;
  /** JWS alg for this key (RFC 7518 3.1): ES256 for P-256, RS256 for RSA, EdDSA for Ed25519. */
  readonly alg: string;
  readonly kid: string;
  /** The public key as a JWK, with kid, alg and use: what a JWKS lists and a header's jwk carries. */
  readonly publicJwk: JWK;
  /** The public key as SPKI PEM text: the HMAC secret of the algorithm-confusion attack. */
  readonly publicPem: string;
}

export class SigningKeyError extends Error {}

/** A fresh ES256 key: the built-in servers' issuer. Without a prefix its kid is its RFC 7638 thumbprint, as readSigningKey gives a PEM key. */
export async function generateSigningKey(kidPrefix?: string): Promise<SigningKey> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return signingKeyOf(privateKey, undefined, kidPrefix);
}

/** The key of a certificate minted for the run (the attacker's, whose certificate x5u names). */
export function signingKeyFromPem(keyPem: string, kidPrefix: string): Promise<SigningKey> {
  return signingKeyOf(createPrivateKey(keyPem), undefined, kidPrefix);
}

/**
 * The issuer's key from a file's text: PEM (PKCS#8, SEC1 or PKCS#1) or a
 * private JWK. The kid is --jwt-kid, else the JWK's own, else its RFC 7638
 * thumbprint.
 */
export async function readSigningKey(text: string, kid: string | undefined): Promise<SigningKey> {
  let privateKey: KeyObject;
  let jwkKid: string | undefined;
  try {
    if (text.trimStart().startsWith('{')) {
      const jwk = JSON.parse(text) as JWK;
      if (typeof jwk.d !== 'string') throw new SigningKeyError('the JWK has no private part ("d"): the issuer key must be the private key');
      jwkKid = typeof jwk.kid === 'string' ? jwk.kid : undefined;
      privateKey = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } else {
      privateKey = createPrivateKey(text);
    }
  } catch (error) {
    if (error instanceof SigningKeyError) throw error;
    // Deliberately not the parser's message: it could quote the key.
    throw new SigningKeyError('holds no private key in PEM (PKCS#8, SEC1, PKCS#1) or JWK form, or it is encrypted');
  }
  return signingKeyOf(privateKey, kid ?? jwkKid);
}

async function signingKeyOf(privateKey: KeyObject, kid: string | undefined, kidPrefix?: string): Promise<SigningKey> {
  const alg = algorithmFor(privateKey);
  const publicKey = createPublicKey(privateKey);
  const bare = await exportJWK(publicKey);
  const thumbprint = await calculateJwkThumbprint(bare);
  const chosenKid = kid ?? (kidPrefix ? `${kidPrefix}-${thumbprint.slice(0, 16)}` : thumbprint);
  return {
    privateKey,
    alg,
    kid: chosenKid,
    publicJwk: { ...bare, kid: chosenKid, alg, use: 'sig' },
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

const curveAlgorithms: Readonly<Record<string, string>> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };

function algorithmFor(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
      const alg = curveAlgorithms[curve];
      if (!alg) throw new SigningKeyError(`an EC key on ${curve || 'an unknown curve'} has no JWS algorithm; use P-256, P-384 or P-521`);
      return alg;
    }
    case 'rsa':
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new SigningKeyError('an RSA key under 2048 bits cannot sign JWS (RFC 7518 3.3)');
      return 'RS256';
    case 'rsa-pss':
      return 'PS256';
    case 'ed25519':
      return 'EdDSA';
    default:
      throw new SigningKeyError(`a ${key.asymmetricKeyType ?? 'secret'} key cannot sign tokens here; use EC, RSA or Ed25519`);
  }
}
