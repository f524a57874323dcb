import { hostForUrl } from './address.js';
import { authorizationPolicy, authorizeClient } from './client-identity.js';
import { listenTracked } from './listener.js';
import { createTlsFront } from './tls-front.js';
import type { ReferenceServerOptions, RunningServer } from './types.js';

/**
 * The reference raw-TLS server, after the SPIFFE mTLS example: the client
 * writes a line ("Hello server") and an authorized client gets "Hello client"
 * back. An unauthorized SPIFFE ID gets the connection closed without a word,
 * as go-spiffe's listener does: a raw protocol has no status to refuse with.
 */
export const rawTlsReply = 'Hello client\n';

/** A client that never sends its line is dropped, so a silent probe cannot pin a socket. */
const idleTimeoutMs = 5000;

export async function startTlsServer(opts: ReferenceServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const policy = authorizationPolicy(opts);
  const front = createTlsFront(opts, undefined, (socket, identity) => {
    socket.setTimeout(idleTimeoutMs, () => socket.destroy());
    if (!authorizeClient(identity.certificate, policy).allowed) {
      socket.destroy();
      return;
    }
    socket.once('data', () => socket.end(rawTlsReply));
  });

  const listener = await listenTracked(front.server, host, opts.port ?? 0);
  return {
    protocol: 'tls',
    host,
    port: listener.port,
    url: `tls://${hostForUrl(host)}:${listener.port}`,
    close: () => listener.close(),
  };
}
