import type { X509Certificate } from 'node:crypto';
import tls, { type TLSSocket } from 'node:tls';
import { verifyClient } from './client-verification.js';
import { serverTlsSettings } from './tls-options.js';
import type { ReferenceServerOptions } from './types.js';

/**
 * The one place the reference servers terminate TLS. Every server (gRPC,
 * HTTP/2, raw) is a plain `tls.Server` from here, whose accepted sockets go
 * to the protocol behind it: an HTTP/2 server, grpc-js's connection
 * injector, or the raw handler. So verification is the same code for all
 * three, and a flawed server can keep a client OpenSSL refused, which
 * grpc-js's own TLS could not do (it hides the peer certificate unless
 * OpenSSL authorized it).
 *
 * The correct server still leaves refusal to the handshake
 * (rejectUnauthorized), with the options http2.createSecureServer and
 * grpc-js used before, so its alerts are unchanged: certificate_required
 * for a missing certificate, protocol_version for an old client, and a
 * silent close after the handshake for a certificate that fails
 * verification, which is what Node's rejectUnauthorized does in TLS 1.3.
 */

/** What verification established about an accepted connection. */
export interface ConnectionIdentity {
  /** The verified client certificate; undefined when the client was let in without one. */
  readonly certificate: X509Certificate | undefined;
}

export interface TlsFront {
  readonly server: tls.Server;
  /** The identity of a live accepted connection, by peer address as peerKey() writes it. */
  identityOf(peer: string): ConnectionIdentity | undefined;
}

/**
 * "address:port" as grpc-js's call.getPeer() reports it (IPv6 unbracketed),
 * so one key serves the gRPC server, which sees only that string, and the
 * HTTP/2 server, which sees a proxy of the socket rather than the socket.
 */
export function peerKey(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string {
  return `${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? 0}`;
}

export function createTlsFront(
  opts: ReferenceServerOptions,
  alpnProtocols: string[] | undefined,
  onAccepted: (socket: TLSSocket, identity: ConnectionIdentity) => void,
): TlsFront {
  const settings = serverTlsSettings(opts, alpnProtocols);
  const policy = { trust: settings.trust, flaws: opts.flaws };
  const identities = new Map<string, ConnectionIdentity>();
  const server = tls.createServer(settings.options);

  server.on('secureConnection', (socket: TLSSocket) => {
    // A client vanishing mid-exchange is routine for a test target, not fatal.
    socket.on('error', () => undefined);
    const decision = verifyClient(socket, policy);
    if (!decision.allowed) {
      socket.destroy();
      return;
    }
    const key = peerKey(socket);
    const identity: ConnectionIdentity = { certificate: decision.certificate };
    identities.set(key, identity);
    socket.once('close', () => {
      if (identities.get(key) === identity) identities.delete(key);
    });
    onAccepted(socket, identity);
  });
  // Handshake failures (a refused certificate, an old TLS version) are the point of the exercise, not errors.
  server.on('tlsClientError', () => undefined);

  return { server, identityOf: (peer) => identities.get(peer) };
}
