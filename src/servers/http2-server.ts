import http2 from 'node:http2';
import { hostForUrl } from './address.js';
import { listenTracked } from './listener.js';
import { authorizationPolicy, authorizeClient, type AuthorizationPolicy } from './client-identity.js';
import { createTlsFront, peerKey, type TlsFront } from './tls-front.js';
import type { ReferenceServerOptions, RunningServer } from './types.js';
import { bearerChallenge, verifyBearer, type TokenPolicy } from '../token/verifier.js';

/** The reference HTTP/2 server: `GET /hello` behind mTLS plus a SPIFFE allow list. */

export async function startHttp2Server(opts: ReferenceServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const policy = authorizationPolicy(opts);

  // A plain (cleartext) HTTP/2 server: TLS is terminated by the front, which
  // hands over each accepted socket as a new connection. Its connection
  // listener is the one http2.createSecureServer uses, ALPN check included.
  const server = http2.createServer();
  const front = createTlsFront(opts, ['h2'], (socket) => server.emit('connection', socket));

  // Sessions are destroyed on close as well as raw sockets (listenTracked).
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    // A client vanishing mid-session is routine for a test target, not fatal.
    session.on('error', () => undefined);
  });
  // Without ALPN h2 a client would otherwise hang until Node's 10 s timeout.
  server.on('unknownProtocol', (socket) => socket.destroy());
  server.on('stream', (stream, headers) => void handleStream(stream, headers, policy, front, opts.token));

  const listener = await listenTracked(front.server, host, opts.port ?? 0, () => {
    for (const session of sessions) session.destroy();
  });

  return {
    protocol: 'http2',
    host,
    port: listener.port,
    url: `https://${hostForUrl(host)}:${listener.port}/hello`,
    close: () => listener.close(),
  };
}

async function handleStream(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  policy: AuthorizationPolicy,
  front: TlsFront,
  tokenPolicy: TokenPolicy | undefined,
): Promise<void> {
  // A client resetting its stream must not surface as an unhandled error.
  stream.on('error', () => undefined);

  // Authorize before routing so an unauthorized caller learns nothing about
  // which paths exist, matching gRPC where every method is guarded.
  const socket = stream.session?.socket;
  const identity = socket === undefined ? undefined : front.identityOf(peerKey(socket));
  const decision = identity === undefined
    ? { allowed: false as const, reason: 'the connection was not verified' }
    : authorizeClient(identity.certificate, policy);
  if (!decision.allowed) {
    respondJson(stream, 403, { error: decision.reason });
    return;
  }
  if (tokenPolicy) {
    const token = await verifyBearer(headers.authorization, identity?.certificate?.raw, tokenPolicy);
    if (!token.ok) {
      respondJson(stream, token.status, { error: token.error ?? 'unauthorized', error_description: token.description }, { 'www-authenticate': bearerChallenge(token) });
      return;
    }
  }
  if (headers[':path'] !== '/hello') {
    respondJson(stream, 404, { error: `no such path: ${String(headers[':path'])}` });
    return;
  }
  if (headers[':method'] !== 'GET') {
    respondJson(stream, 405, { error: `method ${String(headers[':method'])} not allowed` }, { allow: 'GET' });
    return;
  }
  respondJson(stream, 200, { message: 'hello', client: decision.client });
}

function respondJson(
  stream: http2.ServerHttp2Stream,
  statusCode: number,
  body: unknown,
  extraHeaders: http2.OutgoingHttpHeaders = {},
): void {
  if (stream.destroyed || stream.closed) return;
  stream.respond({ ':status': statusCode, 'content-type': 'application/json', ...extraHeaders });
  stream.end(JSON.stringify(body));
}
