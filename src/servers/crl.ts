import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

/** A CRL as the verification audit needs it: who issued it, when it is current, what it revokes. */
export interface RevocationList {
  /** Issuer DN as @peculiar/x509 prints it, comparable with CertificateFacts.subjectDn. */
  readonly issuerDn: string;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  /** Revoked serial numbers, normalized by normalizeSerial. */
  readonly revokedSerials: ReadonlySet<string>;
}

export function parseCrl(pem: string): RevocationList {
  const crl = new x509.X509Crl(pem);
  return {
    issuerDn: crl.issuer,
    thisUpdate: crl.thisUpdate,
    nextUpdate: crl.nextUpdate,
    revokedSerials: new Set(crl.entries.map((entry) => normalizeSerial(entry.serialNumber))),
  };
}

/** Node prints serials in upper case, @peculiar/x509 in lower case; either may keep a leading zero byte. */
export function normalizeSerial(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, '');
}
