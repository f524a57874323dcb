import { isIPv4 } from 'node:net';

/**
 * The PROXY protocol version 2 header (haproxy.org's proxy-protocol.txt),
 * as a load balancer in front of a backend writes it: the client's address,
 * and TLVs about the TLS connection it terminated. A backend that takes it
 * from anyone, not only its known balancers, believes whatever it says:
 * here, that the client presented a certificate that verified.
 */
const signature = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** Version 2, command PROXY. */
const versionCommand = 0x21;
/** TCP over IPv4, TCP over IPv6. */
const families = { v4: 0x11, v6: 0x21 } as const;
const tlv = { ssl: 0x20, sslVersion: 0x21, sslCn: 0x22 } as const;
/** PP2_CLIENT_SSL | PP2_CLIENT_CERT_CONN | PP2_CLIENT_CERT_SESS: TLS, with a client certificate on this connection. */
const clientVerifiedFlags = 0x07;

export interface ForgedProxyHeader {
  readonly source: { readonly address: string; readonly port: number };
  readonly destination: { readonly address: string; readonly port: number };
  /** The certificate's common name the SSL TLV claims. */
  readonly clientCn: string;
}

/** A PROXY v2 header claiming a TLS client whose certificate verified (verify = 0) with this CN. */
export function forgedProxyV2Header(forged: ForgedProxyHeader): Buffer {
  const v4 = isIPv4(forged.source.address) && isIPv4(forged.destination.address);
  const addresses = v4
    ? Buffer.concat([ipv4(forged.source.address), ipv4(forged.destination.address), port(forged.source.port), port(forged.destination.port)])
    : Buffer.concat([ipv6(forged.source.address), ipv6(forged.destination.address), port(forged.source.port), port(forged.destination.port)]);
  const subTlvs = Buffer.concat([encodeTlv(tlv.sslVersion, Buffer.from('TLSv1.3')), encodeTlv(tlv.sslCn, Buffer.from(forged.clientCn))]);
  // client flags (1 byte), verify result (4 bytes, 0: the certificate verified), then the sub-TLVs.
  const sslValue = Buffer.concat([Buffer.from([clientVerifiedFlags, 0, 0, 0, 0]), subTlvs]);
  const body = Buffer.concat([addresses, encodeTlv(tlv.ssl, sslValue)]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(body.length);
  return Buffer.concat([signature, Buffer.from([versionCommand, v4 ? families.v4 : families.v6]), length, body]);
}

/** What a PROXY v2 header claims, for a test backend that trusts it; undefined when the data does not start with one. */
export function readProxyV2Header(data: Buffer): { readonly length: number; readonly clientCn?: string; readonly verified: boolean } | undefined {
  if (data.length < 16 || !data.subarray(0, 12).equals(signature)) return undefined;
  const length = 16 + data.readUInt16BE(14);
  if (data.length < length) return undefined;
  const addressLength = data[13] === families.v4 ? 12 : data[13] === families.v6 ? 36 : 0;
  let clientCn: string | undefined;
  let verified = false;
  for (let at = 16 + addressLength; at + 3 <= length; ) {
    const type = data[at] ?? 0;
    const size = data.readUInt16BE(at + 1);
    const value = data.subarray(at + 3, at + 3 + size);
    if (type === tlv.ssl && value.length >= 5) {
      verified = ((value[0] ?? 0) & 0x02) !== 0 && value.readUInt32BE(1) === 0;
      for (let sub = 5; sub + 3 <= value.length; ) {
        const subSize = value.readUInt16BE(sub + 1);
        if (value[sub] === tlv.sslCn) clientCn = value.subarray(sub + 3, sub + 3 + subSize).toString();
        sub += 3 + subSize;
      }
    }
    at += 3 + size;
  }
  return { length, verified, ...(clientCn !== undefined ? { clientCn } : {}) };
}

function encodeTlv(type: number, value: Buffer): Buffer {
  const head = Buffer.alloc(3);
  head.writeUInt8(type, 0);
  head.writeUInt16BE(value.length, 1);
  return Buffer.concat([head, value]);
}

function port(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value);
  return b;
}

function ipv4(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}

function ipv6(address: string): Buffer {
  // Only what the checks send: an IPv4 address mapped into IPv6 when the other side is IPv6, or a full IPv6 address.
  const mapped = isIPv4(address) ? `::ffff:${address}` : address;
  const [head = '', tail = ''] = mapped.split('::');
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const tailGroups = groups(tail).flatMap((g) => (isIPv4(g) ? [((Number(g.split('.')[0]) << 8) | Number(g.split('.')[1])).toString(16), ((Number(g.split('.')[2]) << 8) | Number(g.split('.')[3])).toString(16)] : [g]));
  const all = [...groups(head), ...Array<string>(8 - groups(head).length - tailGroups.length).fill('0'), ...tailGroups];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}
