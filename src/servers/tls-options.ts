import { X509Certificate, constants } from 'node:crypto';
import tls from 'node:tls';
import type { TrustConfig } from './chain-audit.js';
import { handshakeRejectsUnauthorized } from './client-verification.js';
import { parseCrl } from './crl.js';
import { pemCertificates } from './pem.js';
import type { ReferenceServerOptions } from './types.js';

/**
 * The TLS settings of the reference servers, derived once from the options
 * and flaws so that the three servers cannot drift apart, together with the
 * trust configuration the verification audit needs: the same anchors and
 * CRLs OpenSSL got, so that the two judge the same thing.
 */
export interface ServerTlsSettings {
  options: tls.TlsOptions;
  trust: TrustConfig;
}

/** Generous for loopback, where a real handshake takes milliseconds. */
const handshakeTimeoutMs = 3000;

export function serverTlsSettings(opts: ReferenceServerOptions, alpnProtocols?: string[]): ServerTlsSettings {
  const flaws = opts.flaws;
  const pinned = opts.pinnedClientCertPems;
  // Pinned certificates are their own anchors: OpenSSL 3.0 accepts a
  // self-signed certificate found in the trust store as it is, without
  // X509_V_FLAG_PARTIAL_CHAIN (which Node 20 cannot set anyway).
  const anchorPems = pinned ?? pemCertificates(opts.clientCaPem);
  if (anchorPems.length === 0) throw new Error('the reference server was given no client CA or pinned certificate to trust');
  // A revoked pin is a pin removed, so CRLs apply to CA-issued clients only;
  // loaded, they would also make OpenSSL demand a CRL signed by each pin.
  const crlPems = pinned === undefined && !flaws.includes('ignore-crl') && opts.crlPems?.length ? opts.crlPems : undefined;
  const legacy = flaws.includes('allow-legacy-tls');
  const tls12 = flaws.includes('allow-tls12');

  const options: tls.TlsOptions = {
    ca: [...anchorPems],
    cert: opts.certPem,
    key: opts.keyPem,
    ...(crlPems ? { crl: [...crlPems] } : {}),
    // The correct server is TLS 1.3-only; Node's default floor is 1.2, so the
    // floor is always set explicitly rather than left to the default.
    minVersion: legacy ? 'TLSv1' : tls12 ? 'TLSv1.2' : 'TLSv1.3',
    maxVersion: 'TLSv1.3',
    // allow-legacy-tls must not admit TLS 1.2 too: OpenSSL honours a hole in
    // the version range. A TLS 1.2-only client is then offered TLS 1.1 and
    // gives up itself (unsupported protocol), no protocol_version alert.
    ...(legacy && !tls12 ? { secureOptions: constants.SSL_OP_NO_TLSv1_2 } : {}),
    ciphers: `${tls.DEFAULT_CIPHERS}:@SECLEVEL=${securityLevel(opts)}`,
    requestCert: true,
    rejectUnauthorized: handshakeRejectsUnauthorized(flaws),
    // Node's default bound is 120 s; a stalled probe must not keep the
    // process alive that long after close().
    handshakeTimeout: handshakeTimeoutMs,
    ...(alpnProtocols ? { ALPNProtocols: alpnProtocols } : {}),
  };
  return {
    options,
    trust: {
      anchors: anchorPems.map((pem) => new X509Certificate(pem)),
      crls: crlPems?.map(parseCrl),
    },
  };
}

/**
 * OpenSSL 3.0's default level 1 accepts RSA-1024 client keys (it refuses
 * SHA-1 and MD5 signatures already), so the correct server asks for level 2:
 * 112-bit security. Level 0 is for the weak-crypto flaw, and for legacy TLS,
 * whose handshakes sign with SHA-1 and fail at any higher level; there the
 * verification audit refuses weak client certificates instead.
 */
function securityLevel(opts: ReferenceServerOptions): 0 | 2 {
  return opts.flaws.includes('weak-crypto') || opts.flaws.includes('allow-legacy-tls') ? 0 : 2;
}
