import type { SecureContextOptions } from 'node:tls';
import type { ReferenceServerOptions } from './types.js';

/**
 * The TLS settings both reference servers use, derived once from the options
 * and flaws so that the gRPC and HTTP/2 servers cannot drift apart.
 *
 * Split in two because grpc-js keeps them apart: the context part can be
 * swapped at runtime with setSecureContext, the server part is fixed
 * when the server is constructed.
 */
export interface ServerTlsSettings {
  /** Keys, trust anchors and protocol versions. */
  context: SecureContextOptions & {
    ca: string;
    cert: string;
    key: string;
    minVersion: 'TLSv1.2' | 'TLSv1.3';
    maxVersion: 'TLSv1.3';
  };
  /** Fixed when the TLS server is created: client-certificate policy and handshake bound. */
  server: {
    requestCert: true;
    rejectUnauthorized: boolean;
    handshakeTimeout: number;
  };
}

/** Generous for loopback, where a real handshake takes milliseconds. */
const handshakeTimeoutMs = 3000;

export function serverTlsSettings(opts: ReferenceServerOptions): ServerTlsSettings {
  return {
    context: {
      ca: opts.clientCaPem,
      cert: opts.certPem,
      key: opts.keyPem,
      // The correct server is TLS 1.3-only; Node's default floor is 1.2, so
      // the floor is always set explicitly rather than left to the default.
      minVersion: opts.flaws.includes('allow-tls12') ? 'TLSv1.2' : 'TLSv1.3',
      maxVersion: 'TLSv1.3',
    },
    server: {
      // Even the flawed server asks for a certificate, so that a client which
      // has one sends it and its SPIFFE ID can still be checked.
      requestCert: true,
      rejectUnauthorized: !opts.flaws.includes('accept-any-cert'),
      // grpc-js does not destroy connections still in their handshake when it
      // shuts down, and Node's default bound is 120 s; a stalled probe must
      // not keep the process alive that long after close().
      handshakeTimeout: handshakeTimeoutMs,
    },
  };
}
