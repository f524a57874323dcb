import { createPrivateKey } from 'node:crypto';
import type { CertificatePresentation, ClientFlight } from './outcome.js';

/**
 * Was the client certificate really presented? OpenSSL answers a
 * CertificateRequest whose signature algorithms this key cannot make with an
 * empty Certificate message, silently; a refusal that follows says nothing
 * about the certificate. So the probe compares the algorithms the server
 * allows (read off the handshake as soon as the client's flight goes out)
 * with what the key can sign.
 */

/** What a key can sign with, as a pattern over OpenSSL's sigalg names ("ECDSA+SHA256", "RSA-PSS+SHA256", "Ed25519+UNDEF"). */
interface KeySigning {
  /** For the report: "ECDSA+SHA256 (P-256)", "RSA-PSS", ... */
  readonly needs: string;
  readonly tls13: RegExp;
  readonly tls12: RegExp;
}

/** TLS 1.3 binds ECDSA to one curve and hash (RFC 8446 4.2.3); TLS 1.2 does not. */
const ecdsaByCurve: Readonly<Record<string, { hash: string; name: string }>> = {
  prime256v1: { hash: 'SHA256', name: 'P-256' },
  secp384r1: { hash: 'SHA384', name: 'P-384' },
  secp521r1: { hash: 'SHA512', name: 'P-521' },
};

/** Keys are parsed once per credential: a run presents the same few keys many times. */
const signingByKeyPem = new Map<string, KeySigning | undefined>();

export function keySigning(keyPem: string): KeySigning | undefined {
  if (signingByKeyPem.has(keyPem)) return signingByKeyPem.get(keyPem);
  const signing = readKeySigning(keyPem);
  signingByKeyPem.set(keyPem, signing);
  return signing;
}

function readKeySigning(keyPem: string): KeySigning | undefined {
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    return undefined;
  }
  switch (key.asymmetricKeyType) {
    case 'rsa':
      // TLS 1.3 signs CertificateVerify with RSA-PSS only (RFC 8446 4.4.3), even with a plain RSA key.
      return { needs: 'RSA-PSS', tls13: /^RSA-PSS\+/, tls12: /^RSA(-PSS)?\+/ };
    case 'rsa-pss':
      return { needs: 'RSA-PSS', tls13: /^RSA-PSS\+/, tls12: /^RSA-PSS\+/ };
    case 'ec': {
      const curve = ecdsaByCurve[key.asymmetricKeyDetails?.namedCurve ?? ''];
      if (!curve) return { needs: `ECDSA on ${key.asymmetricKeyDetails?.namedCurve ?? 'an unknown curve'}`, tls13: /^$/, tls12: /^ECDSA\+/ };
      return { needs: `ECDSA+${curve.hash} (${curve.name})`, tls13: new RegExp(`^ECDSA\\+${curve.hash}$`), tls12: /^ECDSA\+/ };
    }
    case 'ed25519':
      return { needs: 'Ed25519', tls13: /^Ed25519/i, tls12: /^Ed25519/i };
    case 'ed448':
      return { needs: 'Ed448', tls13: /^Ed448/i, tls12: /^Ed448/i };
    default:
      return undefined;
  }
}

/**
 * The flight facts, from the algorithms the server allows for the client's
 * signature. An empty list means the server sent no CertificateRequest.
 */
export function clientFlight(keyPem: string | undefined, sharedSigalgs: readonly string[], tlsVersion: 'TLSv1.3' | 'TLSv1.2'): ClientFlight {
  const base = { flightSent: true, sharedSigalgs };
  if (keyPem === undefined) return { ...base, certificate: 'none' };
  if (sharedSigalgs.length === 0) return { ...base, certificate: 'not-requested' };
  const signing = keySigning(keyPem);
  const pattern = signing && (tlsVersion === 'TLSv1.3' ? signing.tls13 : signing.tls12);
  const sendable = pattern !== undefined && sharedSigalgs.some((name) => pattern.test(name));
  const certificate: CertificatePresentation = sendable ? 'sent' : 'not-sendable';
  return { ...base, certificate, ...(sendable ? {} : { keyNeeds: signing?.needs ?? 'an algorithm mtlspec cannot match' }) };
}

/** The flight never went out: the connection ended first. */
export const flightNotReached: ClientFlight = { flightSent: false, certificate: 'not-reached' };

/** One sentence on a certificate that was not presented, for the verdict. */
export function describeNotPresented(flight: ClientFlight): string {
  const allowed = flight.sharedSigalgs?.length ? flight.sharedSigalgs.join(', ') : 'none';
  return `the client certificate was never presented: the server's CertificateRequest allows only ${allowed}, and this key needs ${flight.keyNeeds ?? 'another algorithm'}, so OpenSSL sent an empty Certificate message`;
}
