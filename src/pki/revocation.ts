import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { chmod, writeFile } from 'node:fs/promises';
import { AsnConvert } from '@peculiar/asn1-schema';
import { RevokedCertificate, TBSCertList, Time, Version } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import type { Authority } from './authority.js';
import { arrayBufferOf, serialNumberFrom, signedStructure } from './der.js';
import { authorityKeyIdentifier, crlNumber } from './extensions.js';
import { signBytes, signatureScheme } from './signature.js';

/**
 * The serial number a revoked leaf of this CA gets. Derived from the CA's key
 * rather than drawn at random, so a CRL written in one run (--crl-out, then
 * installed on a server) still lists the revoked leaf of every later run with
 * the same CA.
 */
export function revokedSerialFor(ca: Authority): Buffer {
  return serialNumberFrom(createHash('sha256').update(ca.key.spki).update('mtlspec-revoked').digest());
}

export interface CrlValidity {
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

/** A v2 CRL signed by `issuer` listing `revokedSerials` (none: an empty but valid CRL), as PEM. */
export function createCrl(issuer: Authority, revokedSerials: readonly Buffer[], validity: CrlValidity): string {
  const scheme = signatureScheme(issuer.key.algorithm, 'default');
  const revocationDate = new Time(validity.thisUpdate);
  const tbs = new TBSCertList({
    version: Version.v2,
    signature: scheme.identifier,
    issuer: issuer.subjectName,
    thisUpdate: new Time(validity.thisUpdate),
    nextUpdate: new Time(validity.nextUpdate),
    // RFC 5280 5.1.2.6: no revoked certificates means the list is absent, not empty.
    ...(revokedSerials.length > 0
      ? { revokedCertificates: revokedSerials.map((serial) => new RevokedCertificate({ userCertificate: arrayBufferOf(serial), revocationDate })) }
      : {}),
    crlExtensions: [authorityKeyIdentifier(issuer.keyIdentifier), crlNumber(crlNumberAt(validity.thisUpdate))],
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const der = signedStructure(tbsDer, scheme.identifierDer, signBytes(tbsDer, issuer.key, scheme));
  return x509.PemConverter.encode(arrayBufferOf(der), 'X509 CRL') + '\n';
}

/** RFC 5280 5.2.3 wants a number that only grows; seconds since the epoch do, across runs too. */
function crlNumberAt(thisUpdate: Date): number {
  return Math.floor(thisUpdate.getTime() / 1000);
}

/** Writes a CRL for a server to load (a CRL is public: world-readable like a certificate). */
export async function writeCrl(file: string, crlPem: string): Promise<void> {
  await writeFile(file, crlPem, { mode: 0o644 });
  await chmod(file, 0o644); // the mode above applies only to a new file, and only through the umask
}
