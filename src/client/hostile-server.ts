import net from 'node:net';
import tls, { type SecureContext } from 'node:tls';
import { alertFromErrorCode } from '../probe/alerts.js';
import type { Outcome, TlsFacts } from '../probe/outcome.js';
import { listenTracked, type TrackedListener } from '../servers/listener.js';

/**
 * The server side of `mtlspec client`: a TLS listener on loopback that
 * presents, on each connection, the server credential of one case, and
 * records what the client under test did with it. The verdict's first layer:
 * a client "accepted" the credential when it sent application data (any
 * bytes after the handshake) over it.
 *
 * It asks for a client certificate (an mTLS client sends one) but judges
 * nothing about it: this side tests the client's check of the server.
 */

/** One case's credential, ready to serve. */
export interface ServedCase {
  readonly caseId: string;
  readonly context: SecureContext;
  /** --listen: its place in the order of connections. */
  readonly slot?: number;
}

/**
 * Which case a connection gets. `take` is asked at accept time, before the
 * ClientHello: the connection holds that case, so the next connection,
 * even one accepted before this one has settled, gets the next.
 * `byServername` is asked when the ClientHello names a server (SNI), and
 * wins when it knows the name; the case taken is then given back.
 */
export interface CaseChooser {
  take(): ServedCase | undefined;
  giveBack(served: ServedCase): void;
  byServername(servername: string): ServedCase | undefined;
}

/** What one connection showed, once it settled. */
export interface ConnectionReport {
  readonly caseId: string;
  /** The SNI the client sent, if any. */
  readonly servername: string | undefined;
  /** Whether the case came from the SNI (else from take(): the current case, or the next in order). */
  readonly bySni: boolean;
  /** The credential served. */
  readonly served: ServedCase;
  /**
   * In the client's terms: accepted (it sent application data), rejected
   * (an alert, or a close without data), unreachable (nothing TLS arrived).
   * The alert in tls.alert is the one the *client* sent.
   */
  readonly outcome: Outcome;
  /** Whether the client presented a certificate of its own (mTLS). */
  readonly clientCertificate: boolean;
}

/** The bytes of application data kept for the evidence. */
const excerptBytes = 200;
/** An HTTP request gets an answer, so that curl and friends exit 0 on what they accepted. */
const httpMethod = /^(GET|POST|PUT|HEAD|DELETE|OPTIONS|PATCH) /;
const http2Preface = 'PRI * HTTP/2.0\r\n';
/** What OpenSSL says when the bytes that came are not a TLS ClientHello (plain HTTP, another protocol). */
const notTls = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_HTTP_REQUEST', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_UNKNOWN_PROTOCOL']);
/** How long close() lets open connections finish on their own. */
const closeGraceMs = 500;
/** How long a handshake may take before the connection is dropped as unanswered. */
const defaultConnectionTimeoutMs = 10_000;

export class HostileServer {
  readonly #listeners: TrackedListener[];
  /** Where it listens, for the person told to connect: "127.0.0.1", and "[::1]" where the machine has it. */
  readonly hosts: readonly string[];
  readonly #pending: Set<Promise<void>>;
  readonly #open: Set<tls.TLSSocket>;

  private constructor(listeners: TrackedListener[], pending: Set<Promise<void>>, open: Set<tls.TLSSocket>, readonly port: number) {
    this.hosts = listeners.length > 1 ? ['127.0.0.1', '[::1]'] : ['127.0.0.1'];
    this.#listeners = listeners;
    this.#pending = pending;
    this.#open = open;
  }

  /**
   * Listens on 127.0.0.1 and, on the same port, ::1 (where the machine has
   * IPv6): a client told "localhost" may try either first. Port 0: any free one.
   * Rejects with the listen error (EADDRINUSE) when the port is taken.
   */
  static async listen(port: number, chooser: CaseChooser, onReport: (report: ConnectionReport) => void, connectionTimeoutMs = defaultConnectionTimeoutMs): Promise<HostileServer> {
    const pending = new Set<Promise<void>>();
    const open = new Set<tls.TLSSocket>();
    const handle = (socket: net.Socket): void => {
      const settled = serveConnection(socket, chooser, connectionTimeoutMs, open).then(onReport, () => undefined);
      pending.add(settled);
      void settled.finally(() => pending.delete(settled));
    };
    const listeners = await listenOnLoopback(port, () => net.createServer(handle));
    const v4 = listeners[0];
    if (!v4) throw new Error('no loopback listener');
    return new HostileServer(listeners, pending, open, v4.port);
  }

  /** Resolves once every connection accepted so far has settled and been reported. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  async close(): Promise<void> {
    // A moment for the last answer to reach its client (it was ended, not destroyed), then the TLS sockets go
    // first: destroying the TCP socket under a live TLSSocket that wraps it can crash Node at exit.
    const closing = [...this.#open].map((socket) => new Promise((resolve) => socket.once('close', resolve)));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closing), new Promise((resolve) => (timer = setTimeout(resolve, closeGraceMs)))]);
    clearTimeout(timer);
    for (const socket of this.#open) socket.destroy();
    await Promise.all(this.#listeners.map((l) => l.close()));
  }
}

/**
 * The same port on 127.0.0.1 and ::1. A machine without IPv6 loopback gets
 * 127.0.0.1 alone; but a ::1 port someone else holds must not be shared, or
 * a client trying ::1 first would talk to that process: a free port is
 * picked again, and a fixed one is in use (EADDRINUSE).
 */
async function listenOnLoopback(port: number, make: () => net.Server, attempts = 3): Promise<TrackedListener[]> {
  const v4 = await listenTracked(make(), '127.0.0.1', port);
  try {
    return [v4, await listenTracked(make(), '::1', v4.port)];
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT') return [v4];
    await v4.close();
    if (port === 0 && code === 'EADDRINUSE' && attempts > 1) return listenOnLoopback(port, make, attempts - 1);
    throw error;
  }
}

/** Serves one connection to its end: the first application bytes, an alert, a close, or the timeout. */
function serveConnection(socket: net.Socket, chooser: CaseChooser, timeoutMs: number, open: Set<tls.TLSSocket>): Promise<ConnectionReport> {
  const started = performance.now();
  const since = (): number => Math.round(performance.now() - started);
  const fallback = chooser.take();
  let chosen = fallback;
  let servername: string | undefined;
  let bySni = false;
  return new Promise((resolve) => {
    if (!fallback) {
      // No case left to serve (--listen after the last case): the connection is not ours to judge.
      socket.destroy();
      return;
    }
    const secure = new tls.TLSSocket(socket, {
      isServer: true,
      secureContext: fallback.context,
      requestCert: true,
      rejectUnauthorized: false,
      // HTTP/1.1 first: a client that offers both gets the protocol mtlspec answers in full; a gRPC client, which
      // offers h2 alone and refuses a server that picks none, still gets through to its first bytes.
      ALPNProtocols: ['http/1.1', 'h2'],
      SNICallback: (name, done) => {
        servername = name;
        const named = chooser.byServername(name);
        if (named) {
          chosen = named;
          bySni = true;
          chooser.giveBack(fallback);
        }
        done(null, (chosen ?? fallback).context);
      },
    });
    open.add(secure);
    secure.once('close', () => open.delete(secure));
    let handshakeMs: number | undefined;
    let clientCertificate = false;
    let finished = false;
    const finish = (outcome: Outcome): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      const served = chosen ?? fallback;
      resolve({ caseId: served.caseId, servername, bySni, served, outcome, clientCertificate });
    };
    const facts = (extra: Partial<TlsFacts> = {}): TlsFacts => {
      const cipher = handshakeMs !== undefined ? secure.getCipher() : undefined;
      const version = handshakeMs !== undefined ? secure.getProtocol() : undefined;
      return {
        ...(version ? { version } : {}),
        ...(cipher ? { cipher: cipher.name } : {}),
        ...(handshakeMs !== undefined && secure.alpnProtocol !== null ? { alpn: secure.alpnProtocol } : {}),
        timings: { ...(handshakeMs !== undefined ? { handshakeMs } : {}), totalMs: since() },
        ...extra,
      };
    };
    const timer = setTimeout(() => {
      finish({ kind: 'unreachable', reason: 'timeout', tls: facts({ closedBy: 'timeout' }), detail: `the client neither finished nor abandoned the connection within ${timeoutMs} ms` });
      secure.destroy();
    }, timeoutMs);
    timer.unref();
    secure.once('secure', () => {
      handshakeMs = since();
      // Read now: once the socket is destroyed, Node has nothing to say about the peer.
      const peer = secure.getPeerCertificate() as tls.PeerCertificate | null;
      clientCertificate = peer !== null && Object.keys(peer).length > 0;
    });
    secure.once('data', (chunk: Buffer) => {
      const excerpt = chunk.subarray(0, excerptBytes).toString('latin1');
      const http = httpMethod.test(excerpt);
      const http2 = excerpt.startsWith(http2Preface);
      const what = http ? ` (${excerpt.split('\r\n')[0] ?? ''})` : http2 ? ' (the HTTP/2 connection preface: an HTTP/2 or gRPC call)' : '';
      finish({
        kind: 'accepted',
        tls: facts({ timings: { ...(handshakeMs !== undefined ? { handshakeMs } : {}), firstResponseMs: since(), totalMs: since() } }),
        app: { protocol: http ? 'http1' : http2 ? 'http2' : 'tls', bodyExcerpt: excerpt },
        detail: `the client sent ${chunk.length} bytes of application data${what}`,
      });
      // An answer, so that an HTTP/1.1 client that got this far exits as it does with a real server. HTTP/2 gets
      // none (the verdict is in: mtlspec speaks no HTTP/2 here), and a raw-TLS client a line.
      const body = 'mtlspec: this server credential was accepted\n';
      if (http) secure.end(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
      else if (http2) secure.end();
      else secure.end(body);
    });
    // Whether the ClientHello came at all: a TCP connection closed before it never saw the certificate.
    const helloArrived = (): boolean => socket.bytesRead > 0;
    secure.on('error', (error: NodeJS.ErrnoException) => {
      const alert = alertFromErrorCode(error.code);
      const code = error.code ? { errorCode: error.code } : {};
      if (!helloArrived() || notTls.has(error.code ?? '')) {
        finish({ kind: 'unreachable', reason: 'not-tls', tls: facts({ closedBy: 'client-under-test', ...code }), detail: `no TLS handshake: ${error.message.split('\n')[0] ?? error.code}` });
      } else {
        finish({
          kind: 'rejected',
          stage: handshakeMs === undefined ? 'handshake' : 'first-read',
          tls: facts({ closedBy: 'client-under-test', ...(alert ? { alert } : {}), ...code }),
          detail: alert ? `the client sent the alert ${alert.name}` : `the connection ended: ${openSslReason(error)}`,
        });
      }
      secure.destroy();
    });
    secure.once('close', () => {
      if (!helloArrived()) {
        finish({ kind: 'unreachable', reason: 'not-tls', tls: facts({ closedBy: 'client-under-test' }), detail: 'the client opened a TCP connection and closed it without a ClientHello' });
      } else if (handshakeMs !== undefined) {
        finish({ kind: 'rejected', stage: 'first-read', tls: facts({ closedBy: 'client-under-test' }), detail: 'the client completed the handshake, then closed without sending application data' });
      } else {
        finish({ kind: 'rejected', stage: 'handshake', tls: facts({ closedBy: 'client-under-test' }), detail: 'the client closed the connection during the handshake, without an alert' });
      }
    });
  });
}

/** OpenSSL's reason ("unsupported protocol": the client offered no version this server accepts), not its whole error line. */
function openSslReason(error: NodeJS.ErrnoException & { reason?: unknown }): string {
  if (typeof error.reason === 'string') return `${error.reason}${error.code ? ` (${error.code})` : ''}`;
  return error.code ?? error.message.split('\n')[0] ?? 'unknown error';
}

/** A server context for one case: its leaf and chain, the TLS versions it offers, any key and signature the case needs. */
export function servedContext(certPem: string, chainPems: readonly string[], keyPem: string, versions: { min?: tls.SecureVersion; max?: tls.SecureVersion } = {}): SecureContext {
  return tls.createSecureContext({
    cert: [certPem, ...chainPems].join(''),
    key: keyPem,
    minVersion: versions.min ?? 'TLSv1.2',
    maxVersion: versions.max ?? 'TLSv1.3',
    // A hostile server: OpenSSL must load the RSA-1024, SHA-1 and MD5 leaves the cases present.
    ciphers: 'DEFAULT:@SECLEVEL=0',
  });
}
