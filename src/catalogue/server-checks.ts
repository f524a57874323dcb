import { X509Certificate } from 'node:crypto';
import type { ServerFacts } from '../probe/outcome.js';

/**
 * Small readings of the server's certificate that the server-case rows in
 * fixtures/cases.ts compose. Each returns a problem sentence, or undefined.
 */

const serverAuthOid = '1.3.6.1.5.5.7.3.1';

export function chainProblem(server: ServerFacts): string | undefined {
  return server.chainVerified ? undefined : `the chain does not verify to the trust given with --server-ca (or the system roots): ${server.chainError ?? 'unknown reason'}`;
}

export function nameProblem(server: ServerFacts): string | undefined {
  return server.nameMatches ? undefined : `the certificate does not name the host: ${server.nameError ?? 'no matching SAN'}`;
}

export function serverAuthProblem(server: ServerFacts): string | undefined {
  const usages = new X509Certificate(server.certificatePem).keyUsage;
  // Node reports no extended key usage as undefined, which allows every purpose.
  if (!usages || usages.includes(serverAuthOid) || usages.includes('2.5.29.37.0')) return undefined;
  return `its extended key usage (${usages.join(', ')}) does not include serverAuth`;
}

export function validityProblem(server: ServerFacts, now: Date): string | undefined {
  const cert = new X509Certificate(server.certificatePem);
  if (now.getTime() < Date.parse(cert.validFrom)) return `it is not valid before ${cert.validFrom}`;
  if (now.getTime() > Date.parse(cert.validTo)) return `it expired on ${cert.validTo}`;
  return undefined;
}

/** NIST SP 800-57 Part 1 112-bit floor: RSA ≥ 2048, EC ≥ 256 bits; Ed25519/Ed448 fine. */
export function keyStrengthProblem(server: ServerFacts): string | undefined {
  const key = new X509Certificate(server.certificatePem).publicKey;
  const details = key.asymmetricKeyDetails;
  if ((key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') && (details?.modulusLength ?? 0) < 2048) {
    return `its RSA key has ${details?.modulusLength ?? '?'} bits; at least 2048 are needed`;
  }
  if (key.asymmetricKeyType === 'ec' && ['secp192r1', 'prime192v1', 'secp224r1'].includes(details?.namedCurve ?? '')) {
    return `its EC key is on ${details?.namedCurve ?? '?'}; at least 256 bits are needed`;
  }
  return undefined;
}

export function spiffeIdProblemOfServer(server: ServerFacts, expected: string | undefined): string | undefined {
  if (!expected) return 'no --server-spiffe-id was given';
  const uris = (new X509Certificate(server.certificatePem).subjectAltName ?? '')
    .split(', ')
    .filter((name) => name.startsWith('URI:'))
    .map((name) => name.slice(4));
  if (uris.length === 1 && uris[0] === expected) return undefined;
  return `it presents ${uris.length === 0 ? 'no URI SAN' : uris.join(', ')}, not exactly ${expected}`;
}
