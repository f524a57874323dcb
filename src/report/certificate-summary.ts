import 'reflect-metadata';
import { X509Certificate as NodeCertificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/**
 * A certificate as a reviewer reads it. Built from the PEM alone, so it shows
 * what the server actually received, not what the template intended.
 */
export interface CertificateSummary {
  subject: string;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  subjectAltNames: string;
  keyUsage: string;
  extendedKeyUsage: string;
  basicConstraints: string;
  signatureAlgorithm: string;
  publicKey: string;
  sha256Fingerprint: string;
}

const ekuNames: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
};

/**
 * Summaries by PEM: a run presents a few credentials many times (the control
 * in every record), and parsing is the costly part of writing evidence.
 * Bounded, since a hostile server can present as many certificates as it likes.
 */
const summaries = new Map<string, CertificateSummary>();
const summaryCacheLimit = 256;

export function summarizeCertificate(pem: string): CertificateSummary {
  const cached = summaries.get(pem);
  if (cached) return cached;
  const summary = parseSummary(pem);
  if (summaries.size >= summaryCacheLimit) summaries.clear();
  summaries.set(pem, summary);
  return summary;
}

function parseSummary(pem: string): CertificateSummary {
  const node = new NodeCertificate(pem);
  const cert = new x509.X509Certificate(pem);
  const critical = (ext: x509.Extension | null): string => (ext?.critical ? ' (critical)' : '');

  const ku = cert.getExtension(x509.KeyUsagesExtension);
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  const key = node.publicKey;
  const details = key.asymmetricKeyDetails;
  const keySize = details?.namedCurve ?? (details?.modulusLength ? `${details.modulusLength} bits` : '');

  return {
    subject: cert.subject,
    issuer: cert.issuer,
    serial: node.serialNumber,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    subjectAltNames: node.subjectAltName ?? '(none)',
    keyUsage: ku ? keyUsageNames(ku.usages).join(', ') + critical(ku) : '(absent)',
    extendedKeyUsage: eku ? eku.usages.map((u) => ekuNames[String(u)] ?? String(u)).join(', ') + critical(eku) : '(absent)',
    basicConstraints: bc ? `CA:${bc.ca ? 'TRUE' : 'FALSE'}${bc.pathLength !== undefined ? `, pathlen:${bc.pathLength}` : ''}${critical(bc)}` : '(absent)',
    signatureAlgorithm: describeAlgorithm(cert.signatureAlgorithm as NamedAlgorithm),
    publicKey: `${key.asymmetricKeyType ?? 'unknown'}${keySize ? ` ${keySize}` : ''}`,
    sha256Fingerprint: node.fingerprint256,
  };
}

function keyUsageNames(bits: number): string[] {
  return Object.entries(x509.KeyUsageFlags)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number' && (bits & entry[1]) !== 0)
    .map(([name]) => name);
}

/** @peculiar/x509 types this with the DOM's Algorithm, which our Node-only lib does not declare. */
interface NamedAlgorithm {
  name?: string;
  hash?: { name?: string };
}

function describeAlgorithm(algorithm: NamedAlgorithm): string {
  const name = algorithm.name ?? 'unknown';
  return algorithm.hash?.name ? `${name} with ${algorithm.hash.name}` : name;
}

/** The summary's fields in reading order, labelled: one list for the text dump and the HTML page. */
export function certificateSummaryRows(summary: CertificateSummary): Array<[string, string]> {
  return [
    ['Subject', summary.subject],
    ['Issuer', summary.issuer],
    ['Serial', summary.serial],
    ['Not before', summary.notBefore],
    ['Not after', summary.notAfter],
    ['Subject alt names', summary.subjectAltNames],
    ['Key usage', summary.keyUsage],
    ['Extended key usage', summary.extendedKeyUsage],
    ['Basic constraints', summary.basicConstraints],
    ['Signature algorithm', summary.signatureAlgorithm],
    ['Public key', summary.publicKey],
    ['SHA-256 fingerprint', summary.sha256Fingerprint],
  ];
}

/** The summary as aligned "field: value" lines, the way `openssl x509 -text` readers expect. */
export function formatCertificateSummary(summary: CertificateSummary): string {
  const rows = certificateSummaryRows(summary);
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}
