import { createHmac, createPrivateKey, createPublicKey, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Forge from 'node-forge';

/**
 * PKCS#12 (.p12/.pfx) files, read and written with node-forge's ASN.1 and
 * password-based encryption. Forge parses RSA keys and certificates only, so
 * neither is taken from its objects: the decrypted PrivateKeyInfo and each
 * certificate are handed to node:crypto as DER, which reads EC, RSA and
 * Ed25519 alike. Writing builds the PFX from the same parts, for the same
 * reason (forge's own writer takes only an RSA key and certificates it can
 * parse).
 */

// Loaded only when a PKCS#12 file is used: forge is large, and most runs have none.
const require = createRequire(import.meta.url);
let forgeModule: typeof Forge | undefined;
function forge(): typeof Forge {
  forgeModule ??= require('node-forge') as typeof Forge;
  return forgeModule;
}

/** What a PKCS#12 file holds, checked: one private key and the certificate of that key first. */
export interface Pkcs12Contents {
  readonly key: KeyObject;
  /** PKCS#8 PEM of the key, for node:tls and the PKI import. */
  readonly keyPem: string;
  /** The certificate whose public key is the key's. */
  readonly certificate: X509Certificate;
  readonly certPem: string;
  /** The other certificates of the file (intermediates, perhaps the root), in file order. */
  readonly otherPems: readonly string[];
}

/** Why a file cannot be used; the message is a phrase to put after the flag and the file name. */
export class Pkcs12Error extends Error {}

const oids = {
  data: '1.2.840.113549.1.7.1',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  localKeyId: '1.2.840.113549.1.9.21',
  friendlyName: '1.2.840.113549.1.9.20',
  sha256: '2.16.840.1.101.3.4.2.1',
};

/** Reads a PKCS#12 file: the MAC is verified and every encrypted part decrypted with the password. */
export function readPkcs12(bytes: Buffer, password: string): Pkcs12Contents {
  const f = forge();
  let pfx: Forge.pkcs12.Pkcs12Pfx;
  try {
    // Not strict: PKCS#12 is BER, and some exporters (Java keystores, Windows) use indefinite lengths.
    const asn1 = f.asn1.fromDer(f.util.createBuffer(bytes.toString('binary')), false);
    const iterations = largestIterationCount(f, asn1, 0);
    if (iterations > maxIterations) throw new Pkcs12Error(`asks for ${iterations} key-derivation iterations, more than the ${maxIterations} mtlspec allows (OpenSSL writes 2048)`);
    pfx = f.pkcs12.pkcs12FromAsn1(asn1, false, password);
  } catch (error) {
    if (error instanceof Pkcs12Error) throw error;
    throw new Pkcs12Error(describeForgeError(error));
  }
  const keys: KeyObject[] = [];
  const certificates: X509Certificate[] = [];
  for (const safe of pfx.safeContents) {
    for (const bag of safe.safeBags) {
      if (bag.type === oids.keyBag || bag.type === oids.shroudedKeyBag) keys.push(keyFromBag(f, bag));
      else if (bag.type === oids.certBag) certificates.push(certificateFromBag(f, bag));
    }
  }
  const [key, ...moreKeys] = keys;
  if (!key) throw new Pkcs12Error('holds no private key (only certificates); export it with its key');
  if (moreKeys.length > 0) throw new Pkcs12Error(`holds ${keys.length} private keys; export the one credential to use`);
  const spki = publicKeyDer(key);
  const certificate = certificates.find((c) => c.publicKey.export({ format: 'der', type: 'spki' }).equals(spki));
  if (!certificate) {
    throw new Pkcs12Error(certificates.length === 0
      ? 'holds no certificate, only a private key'
      : 'holds a private key that matches none of its certificates (their public keys differ)');
  }
  return {
    key,
    keyPem: key.export({ format: 'pem', type: 'pkcs8' }).toString(),
    certificate,
    certPem: certificate.toString(),
    otherPems: certificates.filter((c) => c !== certificate).map((c) => c.toString()),
  };
}

/**
 * Forge derives keys in JavaScript: a file asking for billions of PBKDF2 or
 * PKCS#12-KDF iterations would hold the run for hours. Every iteration count
 * sits in the clear (MacData, PBES2 and PKCS#12 PBE parameters), as an
 * INTEGER right after a salt OCTET STRING, so one walk finds them all before
 * any derivation; the plain data's SafeContents are walked too.
 */
const maxIterations = 1_000_000;
const maxDepth = 12;

function largestIterationCount(f: typeof Forge, node: Forge.asn1.Asn1, depth: number): number {
  if (depth > maxDepth) return 0;
  const { Class, Type } = f.asn1;
  if (!Array.isArray(node.value)) {
    // The AuthenticatedSafe and each plain SafeContents travel as DER inside OCTET STRINGs.
    if (node.tagClass === Class.UNIVERSAL && node.type === Type.OCTETSTRING && node.value.length > 2 && node.value.charCodeAt(0) === 0x30) {
      try {
        return largestIterationCount(f, f.asn1.fromDer(node.value, false), depth + 1);
      } catch {
        return 0;
      }
    }
    return 0;
  }
  let largest = 0;
  node.value.forEach((child, index) => {
    const before = node.value[index - 1];
    const afterSalt = typeof before === 'object' && !Array.isArray(before.value) && before.type === Type.OCTETSTRING && before.tagClass === Class.UNIVERSAL;
    if (afterSalt && child.tagClass === Class.UNIVERSAL && child.type === Type.INTEGER && !Array.isArray(child.value)) {
      largest = Math.max(largest, integerValue(child.value));
    }
    largest = Math.max(largest, largestIterationCount(f, child, depth + 1));
  });
  return largest;
}

/** A DER INTEGER's content octets as a number; anything past 2^48 is simply "huge". */
function integerValue(octets: string): number {
  if (octets.length > 6) return Number.MAX_SAFE_INTEGER;
  let value = 0;
  for (const char of octets) value = value * 256 + char.charCodeAt(0);
  return value;
}

function keyFromBag(f: typeof Forge, bag: Forge.pkcs12.Bag): KeyObject {
  // Forge decodes an RSA key into its own object and leaves any other key as the decrypted PrivateKeyInfo.
  const info = bag.key ? f.pki.wrapRsaPrivateKey(f.pki.privateKeyToAsn1(bag.key)) : bag.asn1;
  try {
    return createPrivateKey({ key: Buffer.from(f.asn1.toDer(info).getBytes(), 'binary'), format: 'der', type: 'pkcs8' });
  } catch {
    // Not the parser's message: it could quote key material.
    throw new Pkcs12Error('holds a private key that does not parse');
  }
}

function certificateFromBag(f: typeof Forge, bag: Forge.pkcs12.Bag): X509Certificate {
  // Forge parses RSA certificates (keeping the signed part as read) and leaves others as ASN.1.
  const asn1 = bag.cert ? f.pki.certificateToAsn1(bag.cert) : bag.asn1;
  try {
    return new X509Certificate(Buffer.from(f.asn1.toDer(asn1).getBytes(), 'binary'));
  } catch {
    throw new Pkcs12Error('holds a certificate that does not parse');
  }
}

function publicKeyDer(key: KeyObject): Buffer {
  return createPublicKey(key).export({ format: 'der', type: 'spki' });
}

/** Forge's messages name the step that failed; the user needs to know whether the password was wrong. */
function describeForgeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/Invalid password|wrong password|MAC could not be verified/i.test(message)) return 'cannot be opened with the given password (wrong password?)';
  if (/Failed to decrypt|decrypt/i.test(message)) return 'cannot be decrypted with the given password (wrong password?)';
  if (/Unsupported|unsupported|not supported/.test(message)) return `uses a PKCS#12 feature mtlspec cannot read (${message.replace(/\s+/g, ' ').slice(0, 120)})`;
  return 'is not a PKCS#12 (.p12/.pfx) file';
}

export interface Pkcs12WriteInput {
  readonly certPem: string;
  readonly keyPem: string;
  /** Certificates to carry after the leaf (its issuers). */
  readonly chainPems?: readonly string[];
  readonly password: string;
  readonly friendlyName?: string;
}

/** PBKDF2 iterations for the key and the MAC: what OpenSSL 3 uses by default. */
const iterations = 2048;

/**
 * Writes a PKCS#12 file as OpenSSL 3 does by default: the key in a
 * PKCS#8-shrouded bag under PBES2 (PBKDF2 with HMAC-SHA-256, AES-256-CBC),
 * the certificates in a plain bag set (they are public), and a SHA-256 MAC
 * over the whole. localKeyId ties the key to its certificate, as Windows and
 * Java expect.
 */
export function writePkcs12(input: Pkcs12WriteInput): Buffer {
  const f = forge();
  const { asn1 } = f;
  const key = createPrivateKey(input.keyPem);
  const leaf = new X509Certificate(input.certPem);
  const keyId = leaf.fingerprint256.replace(/:/g, '').slice(0, 40);
  const attributes = bagAttributes(f, Buffer.from(keyId, 'hex'), input.friendlyName);

  const pkcs8 = asn1.fromDer(binary(key.export({ format: 'der', type: 'pkcs8' })));
  const shrouded = f.pki.encryptPrivateKeyInfo(pkcs8, input.password, { algorithm: 'aes256', count: iterations, saltSize: 16, prfAlgorithm: 'sha256' });
  const keyBag = seq(f, [oid(f, oids.shroudedKeyBag), explicit(f, 0, shrouded), attributes]);

  const certs = [input.certPem, ...(input.chainPems ?? [])].map((pem) => new X509Certificate(pem));
  const certBags = certs.map((cert, index) => seq(f, [
    oid(f, oids.certBag),
    explicit(f, 0, seq(f, [oid(f, oids.x509Certificate), explicit(f, 0, octets(f, binary(cert.raw)))])),
    ...(index === 0 ? [attributes] : []),
  ]));

  const authenticatedSafe = seq(f, [dataContentInfo(f, seq(f, certBags)), dataContentInfo(f, seq(f, [keyBag]))]);
  const authSafeDer = asn1.toDer(authenticatedSafe).getBytes();
  const salt = randomBytes(16);
  // The MAC key comes from the PKCS#12 KDF (id 3, the password as BMPString), as RFC 7292 B.2 has it.
  const macKey = f.pkcs12.generateKey(input.password, f.util.createBuffer(binary(salt)), 3, iterations, 32, f.md.sha256.create());
  const mac = createHmac('sha256', Buffer.from(macKey.getBytes(), 'binary')).update(Buffer.from(authSafeDer, 'binary')).digest();
  const macData = seq(f, [
    seq(f, [seq(f, [oid(f, oids.sha256), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')]), octets(f, binary(mac))]),
    octets(f, binary(salt)),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(iterations).getBytes()),
  ]);
  const pfx = seq(f, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(3).getBytes()),
    seq(f, [oid(f, oids.data), explicit(f, 0, octets(f, authSafeDer))]),
    macData,
  ]);
  return Buffer.from(asn1.toDer(pfx).getBytes(), 'binary');
}

function bagAttributes(f: typeof Forge, localKeyId: Buffer, friendlyName: string | undefined): Forge.asn1.Asn1 {
  const { asn1 } = f;
  const attribute = (id: string, value: Forge.asn1.Asn1): Forge.asn1.Asn1 => seq(f, [oid(f, id), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, [value])]);
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, [
    attribute(oids.localKeyId, octets(f, binary(localKeyId))),
    ...(friendlyName !== undefined ? [attribute(oids.friendlyName, asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BMPSTRING, false, friendlyName))] : []),
  ]);
}

function dataContentInfo(f: typeof Forge, content: Forge.asn1.Asn1): Forge.asn1.Asn1 {
  return seq(f, [oid(f, oids.data), explicit(f, 0, octets(f, f.asn1.toDer(content).getBytes()))]);
}

function seq(f: typeof Forge, items: Forge.asn1.Asn1[]): Forge.asn1.Asn1 {
  return f.asn1.create(f.asn1.Class.UNIVERSAL, f.asn1.Type.SEQUENCE, true, items);
}

function oid(f: typeof Forge, dotted: string): Forge.asn1.Asn1 {
  return f.asn1.create(f.asn1.Class.UNIVERSAL, f.asn1.Type.OID, false, f.asn1.oidToDer(dotted).getBytes());
}

function octets(f: typeof Forge, bytes: string): Forge.asn1.Asn1 {
  return f.asn1.create(f.asn1.Class.UNIVERSAL, f.asn1.Type.OCTETSTRING, false, bytes);
}

function explicit(f: typeof Forge, tag: number, inner: Forge.asn1.Asn1): Forge.asn1.Asn1 {
  return f.asn1.create(f.asn1.Class.CONTEXT_SPECIFIC, tag, true, [inner]);
}

/** Forge works on "binary strings", one char per byte. */
function binary(bytes: Buffer): string {
  return bytes.toString('binary');
}
