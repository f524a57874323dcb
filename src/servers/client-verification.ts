import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { auditChain, type Fault, type FaultKind, type TrustConfig } from './chain-audit.js';
import type { ServerFlaw } from './types.js';

/**
 * Whether a client that finished the TLS handshake may stay connected: the
 * one decision about certificates, shared by the three reference servers.
 *
 * Two verdicts must agree. OpenSSL's (socket.authorized / authorizationError)
 * and the chain audit's (every fault, not just one). A correct server
 * accepts only when both find nothing. A flawed server tolerates the fault
 * kinds its flaw names: it accepts when every fault the audit found is
 * tolerated, and OpenSSL's one error (if any) is explained by one of them.
 * The second condition keeps OpenSSL as the authority for whatever the audit
 * does not model; the first catches what OpenSSL's single error hid.
 */

export type VerificationDecision =
  /** `certificate`: the client's verified leaf, or undefined for a client let in without one. */
  | { allowed: true; certificate: X509Certificate | undefined }
  | { allowed: false; reason: string };

export interface VerificationPolicy {
  readonly trust: TrustConfig;
  readonly flaws: readonly ServerFlaw[];
}

/** The fault kinds each verification flaw tolerates; flaws not listed tolerate none. */
const toleratedBy: Partial<Record<ServerFlaw, readonly FaultKind[]>> = {
  'ignore-expiry': ['validity'],
  'ignore-eku': ['usage'],
  'accept-unknown-critical-extension': ['critical-extension'],
  // OpenSSL runs at security level 0 under this flaw, so it raises nothing;
  // the audit's weak-crypto fault is what remains to tolerate.
  'weak-crypto': ['weak-crypto'],
};

/**
 * The error code Node gives for each fault kind (authorizationError). Node
 * has no name for several OpenSSL codes and reports them all as UNSPECIFIED:
 * unhandled critical extension, key too small, digest too weak, issuer
 * without keyCertSign. Which of them it was, the audit tells.
 */
const opensslCodes: Record<FaultKind, readonly string[]> = {
  untrusted: [
    'UNABLE_TO_GET_ISSUER_CERT',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'CERT_SIGNATURE_FAILURE',
  ],
  chain: ['INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE', 'UNSPECIFIED'],
  validity: ['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID'],
  usage: ['INVALID_PURPOSE'],
  'critical-extension': ['UNSPECIFIED'],
  'weak-crypto': ['UNSPECIFIED'],
  revocation: ['CERT_REVOKED', 'UNABLE_TO_GET_CRL', 'CRL_HAS_EXPIRED', 'CRL_NOT_YET_VALID'],
};

/**
 * Flaws that must see clients OpenSSL refused, so the handshake cannot be
 * left to refuse them. weak-crypto is not among them: it lowers OpenSSL's
 * security level instead, so OpenSSL does not refuse in the first place.
 */
const lenientFlaws: readonly ServerFlaw[] = ['accept-any-cert', 'cert-optional', 'ignore-expiry', 'ignore-eku', 'accept-unknown-critical-extension'];

/**
 * Whether Node may refuse a failed client certificate itself
 * (rejectUnauthorized). Kept whenever possible: it is also what makes
 * OpenSSL send certificate_required to a client without a certificate.
 * Under a lenient flaw the handshake accepts everything and verifyClient
 * decides; such a server closes silently on a missing certificate instead.
 */
export function handshakeRejectsUnauthorized(flaws: readonly ServerFlaw[]): boolean {
  return !flaws.some((flaw) => lenientFlaws.includes(flaw));
}

export function verifyClient(socket: TLSSocket, policy: VerificationPolicy): VerificationDecision {
  const presented = presentedChain(socket);
  const anonymousAllowed = policy.flaws.includes('accept-any-cert') || policy.flaws.includes('cert-optional');
  if (presented.length === 0) {
    return anonymousAllowed ? { allowed: true, certificate: undefined } : { allowed: false, reason: 'no client certificate' };
  }
  return judge(presented, opensslError(socket), auditChain(presented, policy.trust), policy.flaws);
}

/**
 * The decision itself, apart from the socket so it can be tested on its own.
 * `error`: Node's authorizationError, undefined when OpenSSL verified the chain.
 */
export function judge(presented: readonly X509Certificate[], error: string | undefined, faults: readonly Fault[], flaws: readonly ServerFlaw[]): VerificationDecision {
  const leaf = presented[0];
  if (flaws.includes('accept-any-cert')) {
    // Anything goes, but only a certificate that really verified names the
    // client: an unverified one is treated as no certificate at all.
    const verified = error === undefined && faults.length === 0;
    return { allowed: true, certificate: verified ? leaf : undefined };
  }
  const tolerated = new Set(flaws.flatMap((flaw) => toleratedBy[flaw] ?? []));
  const refused = faults.find((fault) => !tolerated.has(fault.kind));
  if (refused) return { allowed: false, reason: refused.detail };
  if (error !== undefined && !faults.some((fault) => opensslCodes[fault.kind].includes(error))) {
    return { allowed: false, reason: `OpenSSL refused the certificate: ${error}` };
  }
  return { allowed: true, certificate: leaf };
}

/** What the client sent, leaf first: Node links each certificate to the next one sent. */
function presentedChain(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  for (let cert = socket.getPeerX509Certificate(); cert !== undefined && chain.length < 16; cert = cert.issuerCertificate) {
    chain.push(cert);
  }
  return chain;
}

/** Node types authorizationError as an Error, but sets it to the error code string. */
function opensslError(socket: TLSSocket): string | undefined {
  if (socket.authorized) return undefined;
  const error: unknown = socket.authorizationError;
  if (typeof error === 'string') return error;
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.message;
  return 'UNKNOWN';
}
