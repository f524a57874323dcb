import http2 from 'node:http2';
import tls from 'node:tls';
import { isIP } from 'node:net';
import type { Target } from '../target/target.js';
import { classifyGrpcAnswer, classifyHttpAnswer, grpcStatusNames } from './application.js';
import { classifySocketError } from './classify.js';
import type { AppFacts, Outcome, ServerFacts, TlsFacts } from './outcome.js';
import { secureContextFor } from './secure-contexts.js';

/** What a client presents: its certificate (plus any intermediates) and key. */
export interface ClientCredential {
  readonly certPem: string;
  readonly chainPems: readonly string[];
  readonly keyPem: string;
}

export interface ProbeRequest {
  readonly target: Target;
  /** undefined: the client presents no certificate at all. */
  readonly credential: ClientCredential | undefined;
  /** Restricts the versions the client offers, e.g. max TLSv1.2 for a downgrade case. */
  readonly tlsVersions?: { min?: tls.SecureVersion; max?: tls.SecureVersion };
  /** OpenSSL cipher string for the client, e.g. "DEFAULT:@SECLEVEL=0" so TLS 1.0 can be offered at all. */
  readonly clientCiphers?: string;
  /** Trust for the server's certificate; undefined means Node's default roots. */
  readonly serverCaPem?: string;
  /** Hard ceiling for the whole probe: connect, handshake, request and answer. */
  readonly timeoutMs: number;
}

/** Most a report needs of a response body; the rest is not read. */
const bodyLimit = 64 * 1024;
const excerptLength = 300;
/** Raw TLS without --send: how long a silent, open connection must last to count as accepted. */
export const rawTlsSettleMs = 300;

/**
 * Connects over TLS, then goes all the way to an application answer, because
 * a TLS 1.3 server judges the client certificate after the client's side of
 * the handshake is done: the refusal (an alert, a bare close, or an HTTP 400)
 * only shows on the first read. Resolves with an Outcome; never rejects for
 * anything the target does, and always within `timeoutMs`.
 */
export function probe(request: ProbeRequest): Promise<Outcome> {
  return new Promise((resolve) => new ProbeRun(request, resolve).start());
}

class ProbeRun {
  readonly #started = performance.now();
  readonly #tls: TlsFacts = { timings: { totalMs: 0 } };
  #socket: tls.TLSSocket | undefined;
  #session: http2.ClientHttp2Session | undefined;
  #timer: NodeJS.Timeout | undefined;
  #handshakeDone = false;
  #settled = false;
  readonly #app: AppFacts;
  readonly #body: Buffer[] = [];
  #bodyBytes = 0;

  constructor(
    private readonly request: ProbeRequest,
    private readonly resolve: (outcome: Outcome) => void,
  ) {
    this.#app = { protocol: request.target.protocol };
  }

  start(): void {
    this.#timer = setTimeout(() => this.#onTimeout(), this.request.timeoutMs);
    let socket: tls.TLSSocket;
    try {
      socket = this.#connect();
    } catch (error) {
      // OpenSSL refuses some credentials before a byte is sent (a SHA-1 signed
      // certificate at the default security level): that says nothing about the target.
      const code = (error as NodeJS.ErrnoException).code ?? 'ERR_TLS_CLIENT_SETUP';
      this.#tls.errorCode = code;
      this.#finish({ kind: 'unreachable', reason: 'client-unsupported', tls: this.#tls, detail: `this machine's TLS library would not present the credential (${code}: ${error instanceof Error ? error.message : String(error)})` });
      return;
    }
    this.#socket = socket;
    socket.once('connect', () => (this.#tls.timings.tcpConnectMs = this.#elapsed()));
    socket.once('secureConnect', () => this.#onSecureConnect(socket));
    socket.on('error', (error: NodeJS.ErrnoException) => this.#finish(classifySocketError(error, this.#handshakeDone, this.#tls)));
    socket.once('end', () => (this.#tls.closedBy ??= 'server'));
    socket.once('close', () => this.#onClose());
  }

  #connect(): tls.TLSSocket {
    const { target } = this.request;
    return tls.connect({
      host: target.host,
      port: target.port,
      // RFC 6066 forbids an IP address as SNI; Node then checks the host instead.
      ...(isIP(target.servername) ? {} : { servername: target.servername }),
      ALPNProtocols: target.protocol === 'tls' ? [] : ['h2'],
      secureContext: secureContextFor(this.request),
      // The server's certificate is checked, but as evidence rather than as a
      // gate: the server-identity cases report on it, and the client-side
      // cases can still be judged against a server whose own certificate is wrong.
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
  }

  #onSecureConnect(socket: tls.TLSSocket): void {
    this.#handshakeDone = true;
    const facts = this.#tls;
    facts.timings.handshakeMs = this.#elapsed();
    facts.version = socket.getProtocol() ?? undefined;
    facts.cipher = socket.getCipher()?.name;
    facts.alpn = socket.alpnProtocol ?? false;
    facts.server = serverFacts(socket, this.request.target.servername);
    if (this.request.target.protocol === 'tls') {
      this.#exchangeRawTls(socket);
      return;
    }
    if (socket.alpnProtocol !== 'h2') {
      this.#finish({
        kind: 'unreachable',
        reason: 'no-alpn',
        tls: facts,
        detail: `the server did not agree to HTTP/2 (ALPN ${socket.alpnProtocol || 'none'}); gRPC and HTTP/2 targets must offer h2`,
      });
      return;
    }
    this.#sendHttp2Request(socket);
  }

  /**
   * Raw TLS has no status to read, so acceptance is shown by the server
   * answering what we send. Without anything to send, a connection that stays
   * open and silent for a settle window counts as accepted: a TLS 1.3 server
   * refusing the certificate closes (or alerts) within milliseconds of the
   * handshake. Alerts and closes are caught by the socket's own listeners.
   */
  #exchangeRawTls(socket: tls.TLSSocket): void {
    const send = this.request.target.send;
    socket.once('data', (chunk: Buffer) => {
      this.#tls.timings.firstResponseMs = this.#elapsed();
      this.#app.bodyExcerpt = chunk.subarray(0, excerptLength).toString('utf8');
      this.#tls.closedBy ??= 'client';
      this.#finish({ kind: 'accepted', tls: this.#tls, app: this.#app, detail: `the server answered after the handshake: ${JSON.stringify(this.#app.bodyExcerpt)}` });
    });
    if (send !== undefined) {
      socket.write(send);
      return;
    }
    const settleMs = Math.min(rawTlsSettleMs, this.request.timeoutMs);
    setTimeout(() => {
      this.#tls.closedBy ??= 'client';
      this.#finish({ kind: 'accepted', tls: this.#tls, app: this.#app, detail: `the connection stayed open, without an alert, for ${settleMs} ms after the handshake` });
    }, settleMs).unref();
  }

  #sendHttp2Request(socket: tls.TLSSocket): void {
    const { target } = this.request;
    const authorityHost = isIP(target.servername) === 6 ? `[${target.servername}]` : target.servername;
    const session = http2.connect(`https://${authorityHost}:${target.port}`, { createConnection: () => socket });
    this.#session = session;
    // Socket errors are already classified by the socket's own listener.
    session.on('error', () => undefined);
    session.once('goaway', (errorCode: number) => {
      if (!this.#app.httpStatus) this.#tls.closedBy ??= 'server';
      this.#app.bodyExcerpt ??= `GOAWAY error code ${errorCode}`;
    });
    const grpc = target.grpc;
    const stream = grpc
      ? session.request({
          ':method': 'POST',
          ':path': target.path,
          'content-type': 'application/grpc',
          te: 'trailers',
          'user-agent': 'mtlspec',
        })
      : session.request({ ':method': 'GET', ':path': target.path, 'user-agent': 'mtlspec' });
    stream.on('error', () => undefined);
    stream.once('response', (headers) => {
      this.#tls.timings.firstResponseMs = this.#elapsed();
      this.#app.httpStatus = Number(headers[':status']);
      this.#readGrpcStatus(headers);
    });
    stream.once('trailers', (trailers) => this.#readGrpcStatus(trailers));
    stream.on('data', (chunk: Buffer) => {
      if (this.#bodyBytes < bodyLimit) this.#body.push(chunk);
      this.#bodyBytes += chunk.length;
    });
    stream.once('close', () => this.#onStreamClose());
    if (grpc) {
      const frame = Buffer.alloc(5 + grpc.request.length);
      frame.writeUInt32BE(grpc.request.length, 1); // byte 0: not compressed
      frame.set(grpc.request, 5);
      stream.end(frame);
    } else {
      stream.end();
    }
  }

  #readGrpcStatus(headers: http2.IncomingHttpHeaders): void {
    const status = headers['grpc-status'];
    if (typeof status !== 'string') return;
    const code = Number(status);
    this.#app.grpcStatus = code;
    this.#app.grpcStatusName = grpcStatusNames[code] ?? `code ${code}`;
    const message = headers['grpc-message'];
    if (typeof message === 'string' && message) this.#app.grpcMessage = safeDecode(message);
  }

  #onStreamClose(): void {
    if (this.#settled) return;
    if (this.#app.httpStatus === undefined) {
      // No answer at all: the server closed after the handshake. Give the
      // socket a moment to surface an alert that may be in flight.
      setImmediate(() => this.#finish(this.#closedWithoutAnswer()));
      return;
    }
    const body = Buffer.concat(this.#body);
    const grpc = this.request.target.grpc;
    if (grpc && body.length >= 5) {
      const length = body.readUInt32BE(1);
      this.#app.bodyExcerpt = grpc.describeReply(body.subarray(5, 5 + length));
    } else if (body.length > 0) {
      this.#app.bodyExcerpt = body.subarray(0, excerptLength).toString('utf8');
    }
    this.#tls.closedBy ??= 'client';
    this.#finish(grpc ? classifyGrpcAnswer(this.#app, this.#tls) : classifyHttpAnswer(this.#app, this.#tls));
  }

  #onClose(): void {
    if (this.#settled) return;
    this.#tls.closedBy ??= 'server';
    this.#finish(this.#closedWithoutAnswer());
  }

  #closedWithoutAnswer(): Outcome {
    this.#tls.closedBy ??= 'server';
    return {
      kind: 'rejected',
      stage: this.#handshakeDone ? 'first-read' : 'handshake',
      tls: this.#tls,
      detail: this.#handshakeDone
        ? 'the server closed the connection after the handshake without an alert and without an answer'
        : 'the server closed the connection during the handshake without an alert',
    };
  }

  #onTimeout(): void {
    this.#tls.closedBy = 'timeout';
    const ms = this.request.timeoutMs;
    this.#finish({
      kind: 'unreachable',
      reason: 'timeout',
      tls: this.#tls,
      detail: this.#handshakeDone
        ? `the TLS handshake completed but no answer came within ${ms} ms`
        : `no TLS handshake within ${ms} ms${this.#tls.timings.tcpConnectMs === undefined ? ' (no TCP connection either)' : ''}`,
    });
  }

  #finish(outcome: Outcome): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#tls.timings.totalMs = this.#elapsed();
    this.#session?.destroy();
    this.#socket?.destroy();
    this.resolve(outcome);
  }

  #elapsed(): number {
    return Math.round((performance.now() - this.#started) * 10) / 10;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** What the server presented and whether it checks out, read off the finished handshake. */
function serverFacts(socket: tls.TLSSocket, servername: string): ServerFacts | undefined {
  const peer = socket.getPeerCertificate(true);
  if (!peer?.raw) return undefined;
  const chainPems: string[] = [];
  const seen = new Set([peer.fingerprint256]);
  // Node links the chain through issuerCertificate; a root links to itself.
  for (let next = peer.issuerCertificate; next?.raw && !seen.has(next.fingerprint256); next = next.issuerCertificate) {
    seen.add(next.fingerprint256);
    chainPems.push(derToPem(next.raw));
  }
  const nameError = tls.checkServerIdentity(servername, peer);
  const chainError = socket.authorizationError ? String((socket.authorizationError as Error & { code?: string }).code ?? socket.authorizationError) : undefined;
  return {
    certificatePem: derToPem(peer.raw),
    chainPems,
    chainVerified: socket.authorized,
    ...(chainError ? { chainError } : {}),
    nameMatches: nameError === undefined,
    ...(nameError ? { nameError: nameError.message } : {}),
  };
}

/** PEM straight from the DER the handshake gave us: no second parse. */
function derToPem(der: Buffer): string {
  const body = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}
