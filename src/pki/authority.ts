import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { generateKey, signingAlgorithm, type KeyMaterial } from './keys.js';
import { leafExtensions } from './extensions.js';
import type { KeyAlgorithm, LeafTemplate } from './template.js';

// @peculiar/x509 picks up Node's global WebCrypto (global.crypto) by itself.

/** A certificate authority that can sign leaves: its certificate and its key. */
export interface Authority {
  readonly name: string;
  readonly certificate: x509.X509Certificate;
  readonly certPem: string;
  readonly key: KeyMaterial;
}

/** What a leaf signed by the PKI gives to a TLS client or server. */
export interface IssuedLeaf {
  readonly certPem: string;
  /** Certificates to send after the leaf (intermediates), leaf excluded. */
  readonly chainPems: readonly string[];
  readonly keyPem: string;
}

/** A positive serial number of 16 random bytes, as RFC 5280 4.1.2.2 asks. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

export async function createRootAuthority(
  name: string,
  validity: { notBefore: Date; notAfter: Date },
  keyAlgorithm: KeyAlgorithm = 'ec-p256',
): Promise<Authority> {
  const key = await generateKey(keyAlgorithm);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name,
    notBefore: validity.notBefore,
    notAfter: validity.notAfter,
    keys: key.pair,
    signingAlgorithm: signingAlgorithm(keyAlgorithm),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(key.pair.publicKey),
    ],
  });
  return { name, certificate, certPem: certificate.toString('pem') + '\n', key };
}

/**
 * Signs a leaf from its template. `issuer` is the authority, or 'self' for a
 * self-signed leaf (signed with the leaf's own key, issuer = subject).
 */
export async function signLeaf(template: LeafTemplate, leafKey: KeyMaterial, issuer: Authority | 'self'): Promise<IssuedLeaf> {
  const signerKey = issuer === 'self' ? leafKey : issuer.key;
  const extensions = leafExtensions(template);
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(leafKey.pair.publicKey));
  if (issuer !== 'self') {
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuer.key.pair.publicKey));
  }
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: template.subject,
    issuer: issuer === 'self' ? template.subject : issuer.certificate.subject,
    notBefore: template.notBefore,
    notAfter: template.notAfter,
    publicKey: leafKey.pair.publicKey,
    signingKey: signerKey.pair.privateKey,
    signingAlgorithm: signingAlgorithm(signerKey.algorithm),
    extensions,
  });
  return { certPem: certificate.toString('pem') + '\n', chainPems: [], keyPem: leafKey.privateKeyPem };
}
