import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Extension, Extensions, Name, SubjectPublicKeyInfo, TBSCertificate, Validity, Version } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { arrayBufferOf, signedStructure } from './der.js';
import type { KeyMaterial } from './keys.js';
import { corruptSignature, signBytes, signatureScheme, type SignatureHash } from './signature.js';

/**
 * Builds and signs one X.509 certificate from already-made parts. The TBS is
 * serialized once, signed with node:crypto, and wrapped by hand: no second
 * serialization and no re-parse, and any signature (a weak hash, a corrupted
 * one) is just a different choice of bytes.
 */

export interface CertificateContents {
  readonly serialNumber: Buffer;
  readonly issuer: Name;
  readonly subject: Name;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subjectKey: KeyMaterial;
  readonly extensions: readonly Extension[];
}

export interface SignatureChoice {
  readonly hash: SignatureHash;
  /** Flip a bit of the signature after signing. */
  readonly corrupt: boolean;
}

export const normalSignature: SignatureChoice = { hash: 'default', corrupt: false };

/** Returns the certificate's DER. */
export function signCertificate(contents: CertificateContents, signerKey: KeyMaterial, choice: SignatureChoice = normalSignature): Buffer {
  const scheme = signatureScheme(signerKey.algorithm, choice.hash);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: arrayBufferOf(contents.serialNumber),
    signature: scheme.identifier,
    issuer: contents.issuer,
    validity: new Validity({ notBefore: contents.notBefore, notAfter: contents.notAfter }),
    subject: contents.subject,
    subjectPublicKeyInfo: subjectPublicKeyInfo(contents.subjectKey),
    extensions: new Extensions([...contents.extensions]),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = signBytes(tbsDer, signerKey, scheme);
  return signedStructure(tbsDer, scheme.identifierDer, choice.corrupt ? corruptSignature(signature, scheme) : signature);
}

// A pooled leaf key signs hundreds of leaves: parse its SPKI once.
const parsedSpkis = new WeakMap<KeyMaterial, SubjectPublicKeyInfo>();

function subjectPublicKeyInfo(key: KeyMaterial): SubjectPublicKeyInfo {
  let parsed = parsedSpkis.get(key);
  if (!parsed) {
    parsed = AsnConvert.parse(key.spki, SubjectPublicKeyInfo);
    parsedSpkis.set(key, parsed);
  }
  return parsed;
}

const parsedNames = new Map<string, Name>();

/** An RFC 4514 string ("CN=client, O=mtlspec") as an ASN.1 Name; each distinct string is parsed once. */
export function nameFrom(distinguishedName: string): Name {
  let name = parsedNames.get(distinguishedName);
  if (!name) {
    name = AsnConvert.parse(new x509.Name(distinguishedName).toArrayBuffer(), Name);
    parsedNames.set(distinguishedName, name);
  }
  return name;
}
