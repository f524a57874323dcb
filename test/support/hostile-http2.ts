import http2 from 'node:http2';
import type tls from 'node:tls';
import { loopbackHost } from './child-server.js';
import { listenOnLoopback } from './hostile-servers.js';

/**
 * HTTP/2 mTLS servers with the flaw "accept-any-cert" (they ask for a client
 * certificate and take whatever comes) that also misbehave at the HTTP/2
 * layer, as overloaded or draining servers do: GOAWAY, REFUSED_STREAM, a
 * shedding status, a body that trickles. None of those says anything about
 * the client's certificate, so none may turn a flawed server's run green.
 *
 * Each probe of the harness is one connection with one request, so "after
 * the first K" means the same for connections and requests.
 */

export type Http2Misbehaviour =
  /** Serves everything: the plain flawed server, for the baseline. */
  | { readonly kind: 'none' }
  /** Sessions after the first `after` get GOAWAY (NO_ERROR, last stream 0) before any response: "I processed none of your streams". */
  | { readonly kind: 'goaway'; readonly after: number }
  /** Requests after the first `after` get RST_STREAM REFUSED_STREAM: "not processed, safe to retry". */
  | { readonly kind: 'refused-stream'; readonly after: number }
  /** Requests after the first `after` get this status (429 and 503 with retry-after), as a server shedding load. */
  | { readonly kind: 'shed-status'; readonly status: 400 | 429 | 503; readonly after: number }
  /** Every request gets 200 at once, then the body one byte every `byteEveryMs`, `bytes` of them: the status alone proves acceptance. */
  | { readonly kind: 'slow-body'; readonly byteEveryMs: number; readonly bytes: number }
  /** Every nth connection is cut right after its handshake, the client's certificate received: a bare close that looks like a refusal. */
  | { readonly kind: 'cut-every-nth'; readonly n: number }
  /** Every nth request gets HTTP 400, as a flaky front end or a load shedder may: a status that looks like nginx's certificate refusal. */
  | { readonly kind: 'status-400-every-nth'; readonly n: number }
  /** Every request gets GOAWAY (NO_ERROR, last stream 0) once it arrived, then the connection is closed 50 ms later: a draining server. */
  | { readonly kind: 'goaway-then-close' }
  /** Every request gets 200 and the start of its body, then the connection is cut: the status already proved acceptance. */
  | { readonly kind: 'answer-then-close' };

export interface HostileHttp2Options {
  readonly certPem: string;
  readonly keyPem: string;
  readonly misbehaviour: Http2Misbehaviour;
  /** Close connections that present no certificate, so the only flaw is accepting ANY certificate. Default true. */
  readonly requireCertificate?: boolean;
  /** Called with each connection's client certificate (empty object: none), before any request: a fixture's hook (see crashing-server-main.ts). */
  readonly onClientCertificate?: (certificate: tls.PeerCertificate) => void;
}

export interface RunningHostileHttp2 {
  readonly port: number;
  /** https://127.0.0.1:PORT/hello */
  readonly url: string;
  /** Sessions and requests seen so far. */
  counts(): { sessions: number; requests: number };
  close(): Promise<void>;
}

export async function startHostileHttp2(options: HostileHttp2Options): Promise<RunningHostileHttp2> {
  const { misbehaviour } = options;
  const server = http2.createSecureServer({
    cert: options.certPem,
    key: options.keyPem,
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
    requestCert: true,
    // The flaw: no chain check at all, any certificate is welcome.
    rejectUnauthorized: false,
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  const timers = new Set<NodeJS.Timeout>();
  const counts = { sessions: 0, requests: 0 };

  let connections = 0;
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    connections += 1;
    const certificate = socket.getPeerCertificate();
    options.onClientCertificate?.(certificate);
    if ((options.requireCertificate ?? true) && !certificate.raw) socket.destroy();
    else if (misbehaviour.kind === 'cut-every-nth' && connections % misbehaviour.n === 0) socket.destroy();
  });
  // Without ALPN h2 a client would otherwise wait for Node's own timeout.
  server.on('unknownProtocol', (socket) => socket.destroy());
  server.on('session', (session) => {
    sessions.add(session);
    session.on('error', () => undefined);
    session.once('close', () => sessions.delete(session));
    counts.sessions += 1;
    if (misbehaviour.kind === 'goaway' && counts.sessions > misbehaviour.after) {
      // lastStreamID 0: no stream of this connection was or will be processed.
      session.goaway(http2.constants.NGHTTP2_NO_ERROR, 0);
      session.close();
    }
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    counts.requests += 1;
    respond(stream, headers, misbehaviour, counts.requests, timers);
  });

  const listening = await listenOnLoopback(server);
  let closing: Promise<void> | undefined;
  return {
    port: listening.port,
    url: `https://${loopbackHost}:${listening.port}/hello`,
    counts: () => ({ ...counts }),
    close: () => {
      closing ??= (() => {
        for (const timer of timers) clearInterval(timer);
        for (const session of sessions) session.destroy();
        return listening.close();
      })();
      return closing;
    },
  };
}

function respond(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  misbehaviour: Http2Misbehaviour,
  request: number,
  timers: Set<NodeJS.Timeout>,
): void {
  if (stream.session?.closed) {
    // A stream that arrived after our GOAWAY: it was declared unprocessed, so leave it unanswered.
    stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
    return;
  }
  const late = 'after' in misbehaviour && request > misbehaviour.after;
  if (misbehaviour.kind === 'refused-stream' && late) {
    stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
    return;
  }
  if (misbehaviour.kind === 'goaway-then-close') {
    const session = stream.session;
    session?.goaway(http2.constants.NGHTTP2_NO_ERROR, 0);
    const timer = setTimeout(() => session?.destroy(), 50);
    timers.add(timer);
    return;
  }
  if (misbehaviour.kind === 'status-400-every-nth' && request % misbehaviour.n === 0) {
    stream.respond({ ':status': 400, 'content-type': 'text/plain' });
    stream.end('bad request\n');
    return;
  }
  if (misbehaviour.kind === 'shed-status' && late) {
    const retry = misbehaviour.status === 400 ? {} : { 'retry-after': '1' };
    stream.respond({ ':status': misbehaviour.status, 'content-type': 'text/plain', ...retry });
    stream.end('overloaded, try again later\n');
    return;
  }
  if (headers[':path'] !== '/hello') {
    stream.respond({ ':status': 404 });
    stream.end();
    return;
  }
  stream.respond({ ':status': 200, 'content-type': 'application/json' });
  if (misbehaviour.kind === 'answer-then-close') {
    stream.write('{"hello":');
    const session = stream.session;
    const timer = setTimeout(() => session?.destroy(), 20);
    timers.add(timer);
    return;
  }
  if (misbehaviour.kind !== 'slow-body') {
    stream.end(`${JSON.stringify({ hello: 'any client at all' })}\n`);
    return;
  }
  let sent = 0;
  const timer = setInterval(() => {
    if (stream.destroyed || stream.closed) {
      clearInterval(timer);
      timers.delete(timer);
      return;
    }
    sent += 1;
    if (sent >= misbehaviour.bytes) {
      clearInterval(timer);
      timers.delete(timer);
      stream.end('.');
    } else {
      stream.write('.');
    }
  }, misbehaviour.byteEveryMs);
  timers.add(timer);
}
