import * as x509 from '@peculiar/x509';
import type { ExtendedKeyUsageName, KeyUsageName, LeafTemplate } from './template.js';

/** Turns the template's plain data into X.509 extensions, one small mapping each. */

const keyUsageBits: Record<KeyUsageName, x509.KeyUsageFlags> = {
  digitalSignature: x509.KeyUsageFlags.digitalSignature,
  nonRepudiation: x509.KeyUsageFlags.nonRepudiation,
  keyEncipherment: x509.KeyUsageFlags.keyEncipherment,
  dataEncipherment: x509.KeyUsageFlags.dataEncipherment,
  keyAgreement: x509.KeyUsageFlags.keyAgreement,
  keyCertSign: x509.KeyUsageFlags.keyCertSign,
  cRLSign: x509.KeyUsageFlags.cRLSign,
};

const ekuOids: Record<ExtendedKeyUsageName, string> = {
  serverAuth: x509.ExtendedKeyUsage.serverAuth,
  clientAuth: x509.ExtendedKeyUsage.clientAuth,
  codeSigning: x509.ExtendedKeyUsage.codeSigning,
  emailProtection: x509.ExtendedKeyUsage.emailProtection,
};

export function leafExtensions(t: LeafTemplate): x509.Extension[] {
  const extensions: x509.Extension[] = [];
  if (t.basicConstraints !== 'absent') {
    extensions.push(new x509.BasicConstraintsExtension(t.basicConstraints.ca, t.basicConstraints.pathLength, true));
  }
  if (t.keyUsage !== 'absent') {
    const bits = t.keyUsage.reduce((all, name) => all | keyUsageBits[name], 0);
    extensions.push(new x509.KeyUsagesExtension(bits, true));
  }
  if (t.extendedKeyUsage !== 'absent') {
    extensions.push(new x509.ExtendedKeyUsageExtension(t.extendedKeyUsage.map((name) => ekuOids[name]), false));
  }
  const names: { type: 'dns' | 'ip' | 'url'; value: string }[] = [
    ...t.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...t.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
    ...t.uris.map((value) => ({ type: 'url' as const, value })),
  ];
  if (names.length > 0) {
    // RFC 5280 4.2.1.6: critical only when the subject is empty; ours never is.
    extensions.push(new x509.SubjectAlternativeNameExtension(names, false));
  }
  return extensions;
}
