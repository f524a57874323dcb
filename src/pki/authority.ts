import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, type Extension, type Name } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { nameFrom, signCertificate } from './certificate.js';
import { serialNumberFrom } from './der.js';
import { authorityKeyIdentifier, basicConstraints, keyUsage, leafExtensions, rawExtension, subjectKeyIdentifier } from './extensions.js';
import { generateKey, toPem, type KeyMaterial } from './keys.js';
import type { KeyAlgorithm, KeyUsageName, LeafTemplate } from './template.js';

/** A certificate authority that can sign leaves: its certificate, its key, and what a leaf it signs sends along. */
export interface Authority {
  readonly name: string;
  readonly certificate: x509.X509Certificate;
  readonly certPem: string;
  readonly key: KeyMaterial;
  /** Its subject exactly as encoded in its certificate: the issuer of everything it signs. */
  readonly subjectName: Name;
  /** Its subjectKeyIdentifier, which what it signs names as authorityKeyIdentifier. */
  readonly keyIdentifier: Buffer;
  /** Certificates a leaf it signs sends after itself, nearest first: [] for a root. */
  readonly chainPems: readonly string[];
}

/** What a leaf signed by the PKI gives to a TLS client or server. */
export interface IssuedLeaf {
  readonly certPem: string;
  /** Certificates to send after the leaf (intermediates), leaf excluded. */
  readonly chainPems: readonly string[];
  readonly keyPem: string;
}

export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** How a CA certificate looks; the defective issuers differ from a good CA only here. */
export interface CaProfile {
  /** RFC 4514 subject, or an encoded Name to copy verbatim (the impostor copies the trusted CA's). */
  readonly subject: string | Name;
  readonly key: KeyMaterial;
  readonly basicConstraints: { ca: boolean; pathLength?: number };
  readonly keyUsage: readonly KeyUsageName[];
  /** Defaults to the key's SHA-1 identifier. */
  readonly keyIdentifier?: Buffer;
  /** Extensions beyond the ones every CA has (nameConstraints). */
  readonly extraExtensions?: readonly Extension[];
}

export const caKeyUsage: readonly KeyUsageName[] = ['keyCertSign', 'cRLSign'];

export function randomSerialNumber(): Buffer {
  return serialNumberFrom(randomBytes(16));
}

export async function createRootAuthority(name: string, validity: Validity, keyAlgorithm: KeyAlgorithm = 'ec-p256'): Promise<Authority> {
  return selfSignedAuthority({ subject: name, key: await generateKey(keyAlgorithm), basicConstraints: { ca: true }, keyUsage: caKeyUsage }, validity);
}

export function selfSignedAuthority(profile: CaProfile, validity: Validity): Authority {
  const subject = typeof profile.subject === 'string' ? nameFrom(profile.subject) : profile.subject;
  const keyIdentifier = profile.keyIdentifier ?? profile.key.keyIdentifier;
  const der = signCertificate(
    { serialNumber: randomSerialNumber(), issuer: subject, subject, ...validity, subjectKey: profile.key, extensions: caExtensions(profile, keyIdentifier) },
    profile.key,
  );
  return authorityFrom(der, profile.key, []);
}

/** A CA certificate signed by `parent`; leaves it signs send it, then whatever `parent` sends. */
export function subordinateAuthority(profile: CaProfile, parent: Authority, validity: Validity): Authority {
  const subject = typeof profile.subject === 'string' ? nameFrom(profile.subject) : profile.subject;
  const keyIdentifier = profile.keyIdentifier ?? profile.key.keyIdentifier;
  const extensions = [...caExtensions(profile, keyIdentifier), authorityKeyIdentifier(parent.keyIdentifier)];
  const der = signCertificate(
    { serialNumber: randomSerialNumber(), issuer: parent.subjectName, subject, ...validity, subjectKey: profile.key, extensions },
    parent.key,
  );
  const authority = authorityFrom(der, profile.key, []);
  return { ...authority, chainPems: [authority.certPem, ...parent.chainPems] };
}

function caExtensions(profile: CaProfile, keyIdentifier: Buffer): Extension[] {
  const { ca, pathLength } = profile.basicConstraints;
  return [basicConstraints(ca, pathLength), keyUsage(profile.keyUsage), subjectKeyIdentifier(keyIdentifier), ...(profile.extraExtensions ?? [])];
}

/**
 * An Authority around an existing certificate. Its key identifier comes from
 * the certificate when it has one: a user's CA may have made it another way
 * than we would, and a leaf's AKI must repeat it byte for byte.
 */
export function authorityFrom(certificateDer: Buffer | string, key: KeyMaterial, chainPems: readonly string[]): Authority {
  const certificate = new x509.X509Certificate(certificateDer);
  const ski = certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  return {
    name: certificate.subject,
    certificate,
    certPem: toPem(Buffer.from(certificate.rawData), 'CERTIFICATE'),
    key,
    subjectName: AsnConvert.parse(certificate.rawData, Certificate).tbsCertificate.subject,
    keyIdentifier: ski ? Buffer.from(ski.keyId, 'hex') : key.keyIdentifier,
    chainPems,
  };
}

export interface LeafSigningOptions {
  /** The serial a `revoked: true` template gets: the one the trusted CA's CRL lists. */
  readonly revokedSerial?: Buffer;
}

/**
 * Signs a leaf from its template. `issuer` is the authority, or 'self' for a
 * self-signed leaf (signed with the leaf's own key, issuer = subject).
 */
export function signLeaf(template: LeafTemplate, leafKey: KeyMaterial, issuer: Authority | 'self', options: LeafSigningOptions = {}): IssuedLeaf {
  const subject = nameFrom(template.subject);
  const extensions = [...leafExtensions(template), subjectKeyIdentifier(leafKey.keyIdentifier)];
  if (issuer !== 'self') extensions.push(authorityKeyIdentifier(issuer.keyIdentifier));
  extensions.push(...template.extraExtensions.map(rawExtension));
  const der = signCertificate(
    {
      serialNumber: leafSerialNumber(template, options),
      issuer: issuer === 'self' ? subject : issuer.subjectName,
      subject,
      notBefore: template.notBefore,
      notAfter: template.notAfter,
      subjectKey: leafKey,
      extensions,
    },
    issuer === 'self' ? leafKey : issuer.key,
    { hash: template.signatureHash, corrupt: template.corruptSignature },
  );
  const chainPems = issuer !== 'self' && template.sendChain ? issuer.chainPems : [];
  return { certPem: toPem(der, 'CERTIFICATE'), chainPems, keyPem: leafKey.privateKeyPem };
}

function leafSerialNumber(template: LeafTemplate, options: LeafSigningOptions): Buffer {
  if (!template.revoked) return randomSerialNumber();
  // Silently minting a fresh serial would turn the revoked case into a valid leaf.
  if (!options.revokedSerial) throw new Error('a revoked leaf needs the revoked serial number, which only the run PKI knows');
  return options.revokedSerial;
}
