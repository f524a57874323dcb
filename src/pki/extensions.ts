import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CRLNumber, Extension, GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints, id_ce_cRLNumber, id_ce_nameConstraints } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import type { ExtendedKeyUsageName, KeyUsageName, LeafTemplate, RawExtension } from './template.js';

/**
 * Turns plain data into X.509 extensions, one small mapping each. Building an
 * extension costs an encode and a parse, and a run asks for the same few
 * again and again (every valid leaf has the same ones), so each distinct
 * extension is built once and shared: certificates only read them.
 */

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

/** The template's own extensions, in the order a leaf carries them; key identifiers come from the signer. */
export function leafExtensions(t: LeafTemplate): Extension[] {
  const extensions: Extension[] = [];
  if (t.basicConstraints !== 'absent') extensions.push(basicConstraints(t.basicConstraints.ca, t.basicConstraints.pathLength));
  if (t.keyUsage !== 'absent') extensions.push(keyUsage(t.keyUsage));
  if (t.extendedKeyUsage !== 'absent') {
    const oids = t.extendedKeyUsage.map((name) => ekuOids[name]);
    extensions.push(memo(`eku:${oids.join()}`, () => new x509.ExtendedKeyUsageExtension(oids, false)));
  }
  const san = subjectAltName(t);
  if (san) extensions.push(san);
  return extensions;
}

export function basicConstraints(ca: boolean, pathLength?: number): Extension {
  return memo(`bc:${ca}:${pathLength ?? ''}`, () => new x509.BasicConstraintsExtension(ca, pathLength, true));
}

export function keyUsage(names: readonly KeyUsageName[]): Extension {
  const bits = names.reduce((all, name) => all | keyUsageBits[name], 0);
  return memo(`ku:${bits}`, () => new x509.KeyUsagesExtension(bits, true));
}

function subjectAltName(t: LeafTemplate): Extension | undefined {
  const names: { type: 'dns' | 'ip' | 'url'; value: string }[] = [
    ...t.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...t.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
    ...t.uris.map((value) => ({ type: 'url' as const, value })),
  ];
  if (names.length === 0) return undefined;
  // RFC 5280 4.2.1.6: critical only when the subject is empty; ours never is.
  return memo(`san:${JSON.stringify(names)}`, () => new x509.SubjectAlternativeNameExtension(names, false));
}

export function subjectKeyIdentifier(keyIdentifier: Buffer): Extension {
  return memo(`ski:${keyIdentifier.toString('hex')}`, () => new x509.SubjectKeyIdentifierExtension(keyIdentifier.toString('hex'), false));
}

/** The keyIdentifier form only: the same bytes as the issuer's subjectKeyIdentifier, which is how verifiers match them. */
export function authorityKeyIdentifier(keyIdentifier: Buffer): Extension {
  return memo(`aki:${keyIdentifier.toString('hex')}`, () => new x509.AuthorityKeyIdentifierExtension(keyIdentifier.toString('hex'), false));
}

/** Added verbatim: the value is the hex DER the template gives, unchecked, since odd values are the point. */
export function rawExtension(raw: RawExtension): Extension {
  if (!/^(?:[0-9a-f]{2})+$/i.test(raw.valueHex)) throw new Error(`extension ${raw.oid}: valueHex "${raw.valueHex}" is not hex bytes`);
  return memo(`raw:${raw.oid}:${raw.critical}:${raw.valueHex}`, () => new x509.Extension(raw.oid, raw.critical, Buffer.from(raw.valueHex, 'hex')));
}

/** A CA's nameConstraints permitting DNS names at or under `domain` only; critical, as RFC 5280 4.2.1.10 requires. */
export function permittedDnsSubtree(domain: string): Extension {
  const constraints = new NameConstraints({ permittedSubtrees: new GeneralSubtrees([new GeneralSubtree({ base: new GeneralName({ dNSName: domain }) })]) });
  return memo(`nc:${domain}`, () => new x509.Extension(id_ce_nameConstraints, true, AsnConvert.serialize(constraints)));
}

/** Not cached: each CRL has a number of its own. */
export function crlNumber(value: number): Extension {
  return toAsn(new x509.Extension(id_ce_cRLNumber, false, AsnConvert.serialize(new CRLNumber(value))));
}

// Bounded so a long-lived process minting ever-new SANs cannot grow it forever.
const cacheLimit = 512;
const cache = new Map<string, Extension>();

function memo(key: string, build: () => x509.Extension): Extension {
  let extension = cache.get(key);
  if (!extension) {
    if (cache.size >= cacheLimit) cache.clear();
    extension = toAsn(build());
    cache.set(key, extension);
  }
  return extension;
}

/** @peculiar/x509 builds an extension's value; the certificate wants the ASN.1 object. */
function toAsn(extension: x509.Extension): Extension {
  return AsnConvert.parse(extension.rawData, Extension);
}
