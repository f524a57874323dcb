/**
 * The little DER this PKI writes by hand: the outer SEQUENCE of a signed
 * structure around bytes that are already encoded. Doing it here instead of
 * re-serializing the whole tree is what keeps a leaf cheap, and it lets the
 * signature bytes be anything, a corrupted one included.
 */

/** SEQUENCE { tbs, signatureAlgorithm, signature BIT STRING } (RFC 5280 4.1, 5.1). */
export function signedStructure(tbs: Buffer, signatureAlgorithm: Buffer, signature: Buffer): Buffer {
  const bitString = tlv(0x03, Buffer.concat([Buffer.of(0x00), signature])); // 0 unused bits
  return tlv(0x30, Buffer.concat([tbs, signatureAlgorithm, bitString]));
}

function tlv(tag: number, contents: Buffer): Buffer {
  return Buffer.concat([Buffer.of(tag), length(contents.length), contents]);
}

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest >>>= 8) bytes.unshift(rest & 0xff);
  return Buffer.of(0x80 | bytes.length, ...bytes);
}

/**
 * A positive INTEGER of exactly 16 bytes: the top bit cleared keeps it
 * positive (RFC 5280 4.1.2.2) and the next one set means no leading zero
 * byte, which DER would have to strip (OpenSSL refuses the padded form).
 */
export function serialNumberFrom(bytes: Buffer): Buffer {
  const serial = Buffer.from(bytes.subarray(0, 16));
  serial[0] = ((serial[0] ?? 0) & 0x3f) | 0x40;
  return serial;
}

/** A copy in an ArrayBuffer of its own, which the ASN.1 classes take (a Buffer may be a view into a shared pool). */
export function arrayBufferOf(bytes: Buffer): ArrayBuffer {
  return new Uint8Array(bytes).buffer;
}
