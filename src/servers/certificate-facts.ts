import 'reflect-metadata';
import type { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/**
 * The parts of a certificate the reference servers judge, read once.
 * Node's X509Certificate has no key usage bits, path length, criticality or
 * signature algorithm, so those come from @peculiar/x509; everything else
 * (signatures, names, keys) stays with Node, which is OpenSSL underneath.
 */
export interface CertificateFacts {
  /** Subject, one line, for messages. */
  readonly label: string;
  /** Subject DN as @peculiar/x509 prints it, comparable with a CRL's issuer. */
  readonly subjectDn: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** undefined: no basicConstraints extension (not a CA). */
  readonly basicConstraints: { readonly ca: boolean; readonly pathLength: number | undefined } | undefined;
  /** KeyUsage bits (x509.KeyUsageFlags); undefined: the extension is absent, which allows every usage. */
  readonly keyUsage: number | undefined;
  /** ExtendedKeyUsage OIDs; undefined: the extension is absent, which allows every purpose. */
  readonly extendedKeyUsage: readonly string[] | undefined;
  readonly criticalExtensions: readonly string[];
  /** e.g. { name: 'ECDSA', hash: 'SHA-256' }; name is the OID when the library does not know it (MD5 with RSA). */
  readonly signatureAlgorithm: { readonly name: string; readonly hash: string | undefined };
}

export const keyUsage = x509.KeyUsageFlags;
export const clientAuthOid = '1.3.6.1.5.5.7.3.2';

/**
 * Parsed facts by certificate fingerprint: a run presents the same few
 * certificates over and over, each time as a new X509Certificate object, and
 * parsing is the costly part of verification. Bounded, since a hostile client
 * can present as many certificates as it likes.
 */
const cache = new Map<string, CertificateFacts>();
const cacheLimit = 512;

export function certificateFacts(cert: X509Certificate): CertificateFacts {
  const key = cert.fingerprint256;
  const cached = cache.get(key);
  if (cached) return cached;
  const parsed = new x509.X509Certificate(cert.raw);
  const bc = parsed.getExtension(x509.BasicConstraintsExtension);
  const ku = parsed.getExtension(x509.KeyUsagesExtension);
  const eku = parsed.getExtension(x509.ExtendedKeyUsageExtension);
  const algorithm = parsed.signatureAlgorithm as NamedAlgorithm;
  const facts: CertificateFacts = {
    label: cert.subject.split('\n').filter(Boolean).join(', '),
    subjectDn: parsed.subject,
    notBefore: parsed.notBefore,
    notAfter: parsed.notAfter,
    basicConstraints: bc ? { ca: bc.ca, pathLength: bc.pathLength } : undefined,
    keyUsage: ku?.usages,
    extendedKeyUsage: eku?.usages.map(String),
    criticalExtensions: parsed.extensions.filter((ext) => ext.critical).map((ext) => ext.type),
    signatureAlgorithm: { name: algorithm.name ?? 'unknown', hash: algorithm.hash?.name },
  };
  if (cache.size >= cacheLimit) cache.clear();
  cache.set(key, facts);
  return facts;
}

/** @peculiar/x509 types this with the DOM's Algorithm, which our Node-only lib does not declare. */
interface NamedAlgorithm {
  name?: string;
  hash?: { name?: string };
}
