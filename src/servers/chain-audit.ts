import type { X509Certificate } from 'node:crypto';
import { certificateFacts, clientAuthOid, keyUsage, type CertificateFacts } from './certificate-facts.js';
import { normalizeSerial, type RevocationList } from './crl.js';
import { weakKeyReason, weakSignatureReason } from './crypto-strength.js';

/**
 * An independent audit of a client's certificate chain, finding every fault
 * rather than one.
 *
 * Why it exists: a flawed server must tolerate exactly one kind of defect,
 * but OpenSSL reports only one verification error per handshake, the last it
 * found (measured on 3.0: an expired certificate from an untrusted CA reports
 * CERT_HAS_EXPIRED, an issuer with CA:FALSE reports INVALID_PURPOSE). So
 * "OpenSSL's error is the tolerated one" would let other defects through
 * behind it. The audit lists all faults; a flawed server accepts only when
 * each of them is tolerated. It follows OpenSSL's rules for the checks the
 * catalogue exercises, and is stricter in one place: a leaf's keyUsage must
 * include digitalSignature (OpenSSL also accepts keyAgreement alone, which
 * cannot sign a TLS 1.3 CertificateVerify).
 */

export type FaultKind =
  /** No path from the leaf to a trust anchor with verifying signatures. */
  | 'untrusted'
  /** A certificate above the leaf may not issue it: not a CA, no keyCertSign, path length, wrong purpose. */
  | 'chain'
  /** A certificate of the path is expired or not yet valid. */
  | 'validity'
  /** The leaf's keyUsage or extendedKeyUsage does not allow TLS client authentication. */
  | 'usage'
  /** A certificate of the path has a critical extension OpenSSL does not handle. */
  | 'critical-extension'
  /** A key or signature below 112-bit security. */
  | 'weak-crypto'
  /** Revoked, or no current CRL from the issuer although CRLs are checked. */
  | 'revocation';

export interface Fault {
  readonly kind: FaultKind;
  readonly detail: string;
}

export interface TrustConfig {
  /** The certificates the server trusts as anchors: CAs, or pinned client certificates. */
  readonly anchors: readonly X509Certificate[];
  /** undefined: revocation is not checked (no CRLs loaded). */
  readonly crls: readonly RevocationList[] | undefined;
}

/** X509_supported_extension() in OpenSSL 3.0; every other critical extension fails verification. */
const handledCriticalExtensions = new Set([
  '2.16.840.1.113730.1.1', // netscape-cert-type
  '2.5.29.15', // keyUsage
  '2.5.29.17', // subjectAltName
  '2.5.29.19', // basicConstraints
  '2.5.29.32', // certificatePolicies
  '2.5.29.31', // cRLDistributionPoints
  '2.5.29.37', // extendedKeyUsage
  '1.3.6.1.5.5.7.1.7', // sbgp-ipAddrBlock
  '1.3.6.1.5.5.7.1.8', // sbgp-autonomousSysNum
  '1.3.6.1.5.5.7.48.1.5', // id-pkix-OCSP-noCheck
  '2.5.29.36', // policyConstraints
  '1.3.6.1.5.5.7.1.14', // proxyCertInfo
  '2.5.29.30', // nameConstraints
  '2.5.29.33', // policyMappings
  '2.5.29.54', // inhibitAnyPolicy
]);

/** Deeper than any real client chain; bounds the work a hostile chain can cause. */
const maxPathLength = 8;

/**
 * Every fault of the chain a client presented (leaf first, as sent), judged
 * against the server's trust configuration at `now`.
 */
export function auditChain(presented: readonly X509Certificate[], trust: TrustConfig, now: Date = new Date()): Fault[] {
  const [leaf] = presented;
  if (leaf === undefined) return [{ kind: 'untrusted', detail: 'no certificate' }];
  const path = buildPath(leaf, presented.slice(1), trust.anchors);
  const faults: Fault[] = [];
  if (path === undefined) {
    faults.push({ kind: 'untrusted', detail: `no path from "${certificateFacts(leaf).label}" to a trusted certificate` });
  }
  const certs = path ?? [leaf];
  faults.push(...leafFaults(certificateFacts(leaf)));
  certs.forEach((cert, depth) => {
    const facts = certificateFacts(cert);
    faults.push(...timeFaults(facts, now), ...extensionFaults(facts));
    const weakKey = weakKeyReason(cert.publicKey);
    if (weakKey) faults.push({ kind: 'weak-crypto', detail: `"${facts.label}": ${weakKey}` });
    // A trust anchor's own signature vouches for nothing, so OpenSSL does not judge it.
    const weakSignature = depth < certs.length - 1 ? weakSignatureReason(facts) : undefined;
    if (weakSignature) faults.push({ kind: 'weak-crypto', detail: `"${facts.label}": ${weakSignature}` });
    if (depth > 0) faults.push(...issuerFaults(facts, depth));
  });
  if (path !== undefined && trust.crls !== undefined) faults.push(...revocationFaults(path, trust.crls, now));
  return faults;
}

/**
 * The path from the leaf to an anchor, using the certificates the client
 * sent as intermediates. A link needs the issuer's name and a signature that
 * verifies with its key; whether the issuer may issue is judged afterwards,
 * so that a non-CA issuer is reported as such rather than as "untrusted".
 */
function buildPath(
  leaf: X509Certificate,
  intermediates: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
): X509Certificate[] | undefined {
  // A pinned certificate is its own anchor (OpenSSL accepts it that way too).
  if (anchors.some((anchor) => anchor.raw.equals(leaf.raw))) return [leaf];
  const path = [leaf];
  while (path.length < maxPathLength) {
    const current = path[path.length - 1] as X509Certificate;
    const anchor = anchors.find((candidate) => issuedBy(current, candidate));
    if (anchor) return [...path, anchor];
    const next = intermediates.find((candidate) => !path.includes(candidate) && issuedBy(current, candidate));
    if (next === undefined) return undefined;
    path.push(next);
  }
  return undefined;
}

function issuedBy(child: X509Certificate, issuer: X509Certificate): boolean {
  return child.issuer === issuer.subject && child.verify(issuer.publicKey);
}

function leafFaults(facts: CertificateFacts): Fault[] {
  const faults: Fault[] = [];
  if (facts.extendedKeyUsage !== undefined && !facts.extendedKeyUsage.includes(clientAuthOid)) {
    faults.push({ kind: 'usage', detail: `"${facts.label}": extendedKeyUsage lacks clientAuth` });
  }
  if (facts.keyUsage !== undefined && (facts.keyUsage & keyUsage.digitalSignature) === 0) {
    faults.push({ kind: 'usage', detail: `"${facts.label}": keyUsage lacks digitalSignature` });
  }
  return faults;
}

function timeFaults(facts: CertificateFacts, now: Date): Fault[] {
  if (now < facts.notBefore) return [{ kind: 'validity', detail: `"${facts.label}" is not valid before ${facts.notBefore.toISOString()}` }];
  if (now > facts.notAfter) return [{ kind: 'validity', detail: `"${facts.label}" expired at ${facts.notAfter.toISOString()}` }];
  return [];
}

function extensionFaults(facts: CertificateFacts): Fault[] {
  return facts.criticalExtensions
    .filter((oid) => !handledCriticalExtensions.has(oid))
    .map((oid) => ({ kind: 'critical-extension', detail: `"${facts.label}": unhandled critical extension ${oid}` }));
}

/** `depth` counts from the leaf (0); every certificate above it must be allowed to issue for a TLS client. */
function issuerFaults(facts: CertificateFacts, depth: number): Fault[] {
  const faults: Fault[] = [];
  const fault = (detail: string): void => {
    faults.push({ kind: 'chain', detail: `"${facts.label}" ${detail}` });
  };
  if (facts.basicConstraints?.ca !== true) fault('is not a CA (basicConstraints CA:TRUE missing)');
  if (facts.keyUsage !== undefined && (facts.keyUsage & keyUsage.keyCertSign) === 0) fault('has keyUsage without keyCertSign');
  const pathLength = facts.basicConstraints?.pathLength;
  // CA certificates between this one and the leaf.
  if (pathLength !== undefined && depth - 1 > pathLength) fault(`allows ${pathLength} CA(s) below it, the path has ${depth - 1}`);
  // OpenSSL applies the TLS client purpose to issuers too.
  if (facts.extendedKeyUsage !== undefined && !facts.extendedKeyUsage.includes(clientAuthOid)) fault('has extendedKeyUsage without clientAuth');
  return faults;
}

/**
 * OpenSSL, given CRLs through Node, checks every certificate of the path
 * (X509_V_FLAG_CRL_CHECK_ALL): each needs a current CRL from its issuer. The
 * anchor at the top of a longer path has none to check against.
 */
function revocationFaults(path: readonly X509Certificate[], crls: readonly RevocationList[], now: Date): Fault[] {
  const faults: Fault[] = [];
  const checked = path.length === 1 ? path : path.slice(0, -1);
  checked.forEach((cert, depth) => {
    const facts = certificateFacts(cert);
    const issuer = certificateFacts(path[depth + 1] ?? cert);
    const crl = crls.find((candidate) => candidate.issuerDn === issuer.subjectDn);
    if (crl === undefined) {
      faults.push({ kind: 'revocation', detail: `no CRL from "${issuer.label}" to check "${facts.label}" against` });
    } else if (crl.thisUpdate > now || (crl.nextUpdate !== undefined && crl.nextUpdate < now)) {
      faults.push({ kind: 'revocation', detail: `the CRL from "${issuer.label}" is not current` });
    } else if (crl.revokedSerials.has(normalizeSerial(cert.serialNumber))) {
      faults.push({ kind: 'revocation', detail: `"${facts.label}" is revoked` });
    }
  });
  return faults;
}
