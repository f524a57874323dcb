import http2 from 'node:http2';
import tls from 'node:tls';
import { isIP } from 'node:net';
import type { X509Certificate } from 'node:crypto';
import { alpnOffer, type Target } from '../target/target.js';
import { noAgreementDetail, speechFor } from './alpn.js';
import { announcedLength, http1Request, Http1HeadReader } from './http1.js';
import { classifyGrpcAnswer, classifyHttpAnswer, grpcStatusNames, retryAfterMs } from './application.js';
import { classifySocketError, type ConnectionProgress } from './classify.js';
import { clientFlight, flightNotReached } from './client-flight.js';
import type { AppFacts, ClientFlight, Outcome, ServerFacts, TlsFacts } from './outcome.js';
import { secureContextFor } from './secure-contexts.js';
import { foldedOnHttp2, http1HeaderLines, http2HeaderFields, type RequestHeader } from './request-headers.js';

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
  /**
   * Watch for a TLS 1.2 client flight (default true). A run may switch it off
   * once the target is known to choose TLS 1.3, where the flight is read off
   * secureConnect alone: the keylog callback costs every handshake. If the
   * target picks TLS 1.2 after all, its refusals only lose their stage
   * evidence and become inconclusive, never passes.
   */
  readonly watchTls12Flight?: boolean;
  /** The case is judged from the ClientHello (a TLS version): a close before the certificate flight may be its refusal. */
  readonly judgedAtHello?: boolean;
  /** Extra request fields (HTTP and gRPC only): a bearer token, a forged identity header. */
  readonly requestHeaders?: readonly RequestHeader[];
}

/** Most a report needs of a response body; the rest is not read. */
const bodyLimit = 64 * 1024;
/**
 * Once a status has arrived, how long the rest of the answer may take: the
 * status already decided, and a body that drips must not turn an accepted
 * answer into a timeout.
 */
export const bodyGraceMs = 1000;
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
  #flight: ClientFlight = flightNotReached;
  #settled = false;
  #bodyTimer: NodeJS.Timeout | undefined;
  /** The server ended or closed the connection (as opposed to only the request stream). */
  #socketEnded = false;
  readonly #app: AppFacts;
  readonly #body: Buffer[] = [];
  #bodyBytes = 0;
  /**
   * Set once part of an answer came that the connection's end must decide
   * (an HTTP/1.x head cut short, a raw-TLS reply that did not match
   * --expect yet); returns true when it decided.
   */
  #partialAnswer: (() => boolean) | undefined;

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
    // Only the label is read, never the secret: it tells when the client's certificate flight goes out.
    if (this.request.watchTls12Flight !== false) socket.on('keylog', (line: Buffer) => this.#onKeylog(socket, line));
    socket.on('error', (error: NodeJS.ErrnoException) => this.#connectionEnded(() => this.#socketError(error)));
    socket.once('end', () => {
      this.#socketEnded = true;
      this.#tls.closedBy ??= 'server';
    });
    socket.once('close', () => {
      this.#socketEnded = true;
      this.#onClose();
    });
  }

  #connect(): tls.TLSSocket {
    const { target } = this.request;
    return tls.connect({
      host: target.host,
      port: target.port,
      // RFC 6066 forbids an IP address as SNI; Node then checks the host instead.
      ...(isIP(target.servername) ? {} : { servername: target.servername }),
      ALPNProtocols: alpnOffer(target),
      secureContext: secureContextFor(this.request),
      // The server's certificate is checked, but as evidence rather than as a
      // gate: the server-identity cases report on it, and the client-side
      // cases can still be judged against a server whose own certificate is wrong.
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
  }

  /**
   * TLS 1.2 only: the client derives the master secret (logged as
   * CLIENT_RANDOM) as it writes its Certificate, key exchange and Finished,
   * before the server's Finished; a refusal of the certificate comes after
   * this and before secureConnect. In TLS 1.3 the client's certificate goes
   * out with its Finished, which is exactly secureConnect.
   */
  #onKeylog(socket: tls.TLSSocket, line: Buffer): void {
    if (this.#flight.flightSent || !line.subarray(0, 14).equals(clientRandomLabel)) return;
    this.#flight = clientFlight(this.request.credential?.keyPem, socket.getSharedSigalgs(), 'TLSv1.2');
  }

  /** A socket error as an Outcome; an ALPN refusal names the URL or flag that would test the server. */
  #socketError(error: NodeJS.ErrnoException): Outcome {
    const outcome = classifySocketError(error, this.#progress(), this.#tls);
    if (outcome.kind !== 'unreachable' || outcome.reason !== 'no-alpn') return outcome;
    return { ...outcome, detail: noAgreementDetail(this.request.target, undefined, true) };
  }

  #progress(): ConnectionProgress {
    return { handshakeDone: this.#handshakeDone, flightSent: this.#flight.flightSent, judgedAtHello: this.request.judgedAtHello === true };
  }

  #onSecureConnect(socket: tls.TLSSocket): void {
    this.#handshakeDone = true;
    if (!this.#flight.flightSent) {
      this.#flight = clientFlight(this.request.credential?.keyPem, socket.getSharedSigalgs(), socket.getProtocol() === 'TLSv1.3' ? 'TLSv1.3' : 'TLSv1.2');
    }
    const facts = this.#tls;
    facts.timings.handshakeMs = this.#elapsed();
    facts.version = socket.getProtocol() ?? undefined;
    facts.cipher = socket.getCipher()?.name;
    facts.alpn = socket.alpnProtocol ?? false;
    facts.server = serverFacts(socket, this.request.target.servername);
    switch (speechFor(this.request.target, facts.alpn)) {
      case 'raw':
        this.#exchangeRawTls(socket);
        return;
      case 'http1':
        this.#sendHttp1Request(socket);
        return;
      case 'http2':
        this.#sendHttp2Request(socket);
        return;
      case 'no-agreement':
        this.#finish({ kind: 'unreachable', reason: 'no-alpn', tls: facts, detail: noAgreementDetail(this.request.target, facts.alpn, false) });
    }
  }

  /**
   * Raw TLS has no status to read, so acceptance is shown by the server
   * answering what we send. Without anything to send, a connection that stays
   * open and silent for a settle window counts as accepted: a TLS 1.3 server
   * refusing the certificate closes (or alerts) within milliseconds of the
   * handshake. Alerts and closes are caught by the socket's own listeners.
   */
  #exchangeRawTls(socket: tls.TLSSocket): void {
    const { send, expect } = this.request.target;
    if (expect) {
      this.#expectReply(socket, expect);
    } else {
      socket.once('data', (chunk: Buffer) => {
        this.#tls.timings.firstResponseMs = this.#elapsed();
        this.#app.bodyExcerpt = chunk.subarray(0, excerptLength).toString('utf8');
        this.#app.acceptedOn = 'any-reply';
        this.#tls.closedBy ??= 'client';
        this.#finish({ kind: 'accepted', tls: this.#tls, app: this.#app, detail: `the server answered after the handshake (without --expect, any reply counts as acceptance): ${JSON.stringify(this.#app.bodyExcerpt)}` });
      });
    }
    if (send !== undefined) {
      socket.write(send);
      return;
    }
    if (expect) return;
    const settleMs = Math.min(rawTlsSettleMs, this.request.timeoutMs);
    setTimeout(() => {
      this.#tls.closedBy ??= 'client';
      this.#app.acceptedOn = 'open-connection';
      this.#finish({
        kind: 'accepted',
        tls: this.#tls,
        app: this.#app,
        detail: `the connection stayed open, without an alert, for ${settleMs} ms after the handshake (without --send and --expect, that is all "accepted" rests on)`,
      });
    }, settleMs).unref();
  }

  /**
   * --expect: only a reply that matches proves acceptance. Anything else the
   * server says (an error line, a banner) is its refusal at the application,
   * decided once the reply stops growing for bodyGraceMs, hits bodyLimit, or
   * the server closes.
   */
  #expectReply(socket: tls.TLSSocket, expect: RegExp): void {
    const reply = (): string => Buffer.concat(this.#body).toString('utf8');
    const refuse = (): boolean => {
      const text = reply();
      this.#app.bodyExcerpt = text.slice(0, excerptLength);
      if (this.#bodyBytes >= bodyLimit) this.#app.bodyTruncated = true;
      this.#tls.closedBy ??= 'client';
      this.#finish({ kind: 'rejected', stage: 'application', tls: this.#tls, app: this.#app, detail: `the reply does not match --expect /${expect.source}/: ${JSON.stringify(this.#app.bodyExcerpt)}` });
      return true;
    };
    socket.on('data', (chunk: Buffer) => {
      if (this.#settled) return;
      this.#tls.timings.firstResponseMs ??= this.#elapsed();
      this.#partialAnswer = refuse;
      if (this.#bodyBytes < bodyLimit) this.#body.push(chunk.subarray(0, bodyLimit - this.#bodyBytes));
      this.#bodyBytes += chunk.length;
      const text = reply();
      if (expect.test(text)) {
        this.#app.bodyExcerpt = text.slice(0, excerptLength);
        this.#app.acceptedOn = 'expected-reply';
        this.#tls.closedBy ??= 'client';
        this.#finish({ kind: 'accepted', tls: this.#tls, app: this.#app, detail: `the reply matches --expect /${expect.source}/: ${JSON.stringify(this.#app.bodyExcerpt)}` });
        return;
      }
      if (this.#bodyBytes >= bodyLimit) {
        refuse();
        return;
      }
      // Wait for more only while the reply keeps coming.
      clearTimeout(this.#bodyTimer);
      this.#bodyTimer = setTimeout(refuse, bodyGraceMs);
      this.#bodyTimer.unref();
    });
  }

  /**
   * HTTP/1.1 (or an HTTP/1.0 answer) on the same socket: the status line
   * decides, as :status does on HTTP/2, and the body is bounded the same way.
   * A close before any status is a bare refusal, read by the socket's own
   * listeners exactly as on HTTP/2.
   */
  #sendHttp1Request(socket: tls.TLSSocket): void {
    this.#app.protocol = 'http1';
    const reader = new Http1HeadReader();
    let expected: number | undefined;
    const notHttp = (excerpt: string): boolean => {
      this.#finish({ kind: 'unreachable', reason: 'error', tls: this.#tls, detail: `the server picked HTTP/1.1 but its answer is no HTTP/1.x response: ${JSON.stringify(excerpt)}` });
      return true;
    };
    this.#partialAnswer = () => (reader.pending > 0 ? notHttp(reader.excerpt) : false);
    socket.on('data', (chunk: Buffer) => {
      if (this.#settled) return;
      if (this.#app.httpStatus === undefined) {
        const read = reader.push(chunk);
        if (read.kind === 'more') return;
        if (read.kind === 'not-http') {
          notHttp(read.excerpt);
          return;
        }
        const { head } = read;
        this.#tls.timings.firstResponseMs = this.#elapsed();
        this.#app.httpStatus = head.status;
        this.#app.httpVersion = head.version;
        const contentType = head.headers.get('content-type');
        if (contentType !== undefined) this.#app.contentType = contentType.slice(0, 100);
        const retryAfter = retryAfterMs(head.headers.get('retry-after'));
        if (retryAfter !== undefined) this.#app.retryAfterMs = retryAfter;
        this.#readWwwAuthenticate(head.headers.get('www-authenticate'));
        expected = announcedLength(head);
        this.#startBodyGrace();
        if (head.headTruncated) {
          this.#finishFromAnswer(true);
          return;
        }
        chunk = read.rest;
      }
      this.#onBodyChunk(chunk);
      if (expected !== undefined && this.#bodyBytes >= expected) this.#finishFromAnswer(false);
    });
    // Connection: close: the server's end is the end of the answer.
    socket.once('end', () => {
      if (this.#app.httpStatus !== undefined) this.#finishFromAnswer(false);
    });
    socket.write(http1Request(this.request.target, http1HeaderLines(this.#sentHeaders('http1'))));
  }

  #onBodyChunk(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.#bodyBytes < bodyLimit) this.#body.push(chunk);
    this.#bodyBytes += chunk.length;
    if (this.#bodyBytes >= bodyLimit) this.#finishFromAnswer(true);
  }

  #sendHttp2Request(socket: tls.TLSSocket): void {
    const { target } = this.request;
    const authorityHost = isIP(target.servername) === 6 ? `[${target.servername}]` : target.servername;
    const session = http2.connect(`https://${authorityHost}:${target.port}`, { createConnection: () => socket });
    this.#session = session;
    // Socket errors are already classified by the socket's own listener.
    session.on('error', () => undefined);
    session.once('goaway', (errorCode: number, lastStreamId: number) => {
      if (!this.#app.httpStatus) this.#tls.closedBy ??= 'server';
      this.#app.goaway = { errorCode: http2ErrorName(errorCode), lastStreamId };
    });
    const grpc = target.grpc;
    const extra = http2HeaderFields(this.#sentHeaders('http2'));
    const stream = grpc
      ? session.request({
          ':method': 'POST',
          ':path': target.path,
          'content-type': 'application/grpc',
          te: 'trailers',
          'user-agent': 'mtlspec',
          ...extra,
        })
      : session.request({ ':method': 'GET', ':path': target.path, 'user-agent': 'mtlspec', ...extra });
    stream.on('error', () => undefined);
    stream.once('response', (headers) => {
      this.#tls.timings.firstResponseMs = this.#elapsed();
      this.#app.httpStatus = Number(headers[':status']);
      const contentType = headers['content-type'];
      if (typeof contentType === 'string') this.#app.contentType = contentType.slice(0, 100);
      const retryAfter = retryAfterMs(headers['retry-after']);
      if (retryAfter !== undefined) this.#app.retryAfterMs = retryAfter;
      this.#readWwwAuthenticate(headers['www-authenticate']);
      this.#readGrpcStatus(headers);
      // Plain HTTP: the status decides. gRPC: the grpc-status does, or a reply message (below).
      if (!grpc) this.#startBodyGrace();
    });
    stream.once('trailers', (trailers) => this.#readGrpcStatus(trailers));
    stream.on('data', (chunk: Buffer) => {
      if (this.#bodyBytes < bodyLimit) this.#body.push(chunk);
      this.#bodyBytes += chunk.length;
      if (this.#bodyBytes >= bodyLimit) this.#finishFromAnswer(true);
      else if (grpc && this.#bodyBytes >= 5) this.#startBodyGrace();
    });
    stream.once('close', () => this.#onStreamClose(stream.rstCode));
    if (grpc) {
      const frame = Buffer.alloc(5 + grpc.request.length);
      frame.writeUInt32BE(grpc.request.length, 1); // byte 0: not compressed
      frame.set(grpc.request, 5);
      stream.end(frame);
    } else {
      stream.end();
    }
  }

  /** Records the extra fields in the evidence, as shown (never a token's value), and returns them to send. */
  #sentHeaders(on: 'http1' | 'http2'): readonly RequestHeader[] {
    const headers = this.request.requestHeaders ?? [];
    if (headers.length === 0) return headers;
    this.#app.requestHeaders = headers.map(({ name, shown }) => ({ name, shown }));
    const folded = on === 'http2' ? foldedOnHttp2(headers) : [];
    if (folded.length > 0) this.#app.foldedHeaders = folded;
    return headers;
  }

  /** RFC 6750 3: a bearer refusal names its error here; bounded, since it is evidence. */
  #readWwwAuthenticate(value: string | string[] | undefined): void {
    const text = Array.isArray(value) ? value.join(', ') : value;
    if (text) this.#app.wwwAuthenticate = text.slice(0, 300);
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

  #startBodyGrace(): void {
    if (this.#bodyTimer || this.#settled) return;
    this.#bodyTimer = setTimeout(() => this.#finishFromAnswer(true), bodyGraceMs);
    this.#bodyTimer.unref();
  }

  #onStreamClose(rstCode: number | undefined): void {
    if (this.#settled) return;
    if (this.#app.httpStatus === undefined) {
      // No answer at all. Give the socket a moment to surface an alert that
      // may be in flight: an alert decides before anything read off HTTP/2.
      setImmediate(() => this.#finish(this.#streamEndedWithoutAnswer(rstCode)));
      return;
    }
    this.#finishFromAnswer(false);
  }

  /**
   * The request stream ended before any response. REFUSED_STREAM and a GOAWAY
   * that leaves our stream out both say "not processed" (RFC 9113 8.7): the
   * target turned the request away, it did not judge the credential. Other
   * stream resets say nothing about the credential either.
   */
  #streamEndedWithoutAnswer(rstCode: number | undefined): Outcome {
    const app = this.#app;
    const code = rstCode !== undefined && rstCode !== http2.constants.NGHTTP2_NO_ERROR ? http2ErrorName(rstCode) : undefined;
    if (code === undefined && !this.#socketEnded && app.goaway === undefined) {
      // The stream ended cleanly and the connection is still up: the server ended the request without an answer.
      return { kind: 'unreachable', reason: 'error', tls: this.#tls, detail: 'the server ended the request stream without an answer, on a connection it kept open: that says nothing about the credential' };
    }
    if (code) app.streamError = code;
    const tlsFacts = this.#tls;
    if (app.goaway) {
      const { errorCode, lastStreamId } = app.goaway;
      if (errorCode === 'INADEQUATE_SECURITY') {
        // RFC 9113 9.2.1: the server refuses the TLS parameters: a refusal at the application layer.
        return { kind: 'rejected', stage: 'application', tls: tlsFacts, app, detail: 'GOAWAY INADEQUATE_SECURITY before the response: the server refuses the negotiated TLS parameters' };
      }
      return { kind: 'shed', reason: 'goaway', tls: tlsFacts, app, detail: `the server sent GOAWAY ${errorCode} (last stream ${lastStreamId}) before answering: it is going away or draining, and did not process the request` };
    }
    if (code === 'REFUSED_STREAM') {
      return { kind: 'shed', reason: 'refused-stream', tls: tlsFacts, app, detail: 'the server reset the request stream with REFUSED_STREAM before answering: it did not process the request' };
    }
    if (code) {
      return { kind: 'unreachable', reason: 'error', tls: tlsFacts, detail: `the server reset the request stream with ${code} before answering, which says nothing about the credential` };
    }
    return this.#closedWithoutAnswer();
  }

  /** A status arrived: classify on it, with as much of the body as came within the bounds. */
  #finishFromAnswer(truncated: boolean): void {
    if (this.#settled) return;
    if (truncated) this.#app.bodyTruncated = true;
    const body = Buffer.concat(this.#body);
    const grpc = this.request.target.grpc;
    if (grpc && body.length >= 5) {
      const length = body.readUInt32BE(1);
      this.#app.bodyExcerpt = grpc.describeReply(body.subarray(5, 5 + length));
    } else if (body.length > 0) {
      this.#app.bodyExcerpt = body.subarray(0, excerptLength).toString('utf8');
    }
    this.#tls.closedBy ??= 'client';
    if (grpc && this.#app.grpcStatus === undefined && this.#app.contentType?.startsWith('application/grpc') === true && body.length < 5) {
      // A gRPC answer began, but neither its status nor a reply message came: nothing proves the call was accepted or refused.
      this.#finish({ kind: 'unreachable', reason: 'error', tls: this.#tls, detail: `the gRPC call got its response headers (HTTP ${this.#app.httpStatus ?? '?'}) but neither a reply nor a grpc-status before it ended` });
      return;
    }
    const outcome = grpc ? classifyGrpcAnswer(this.#app, this.#tls) : classifyHttpAnswer(this.#app, this.#tls);
    this.#finish(this.#app.protocol === 'http1' ? { ...outcome, detail: `${outcome.detail} (${http1Note(this.#app, this.#tls)})` } : outcome);
  }

  /**
   * The connection ended (closed, reset, or an error). What was already seen
   * decides first: a status that arrived is the answer, however the body
   * ended; a GOAWAY before the response means the request was not processed.
   * Only then is the end itself read as the target's behaviour.
   */
  #connectionEnded(fromSocket: () => Outcome): void {
    if (this.#settled) return;
    if (this.#app.httpStatus !== undefined) {
      this.#finishFromAnswer(true);
      return;
    }
    if (this.#app.goaway !== undefined) {
      this.#finish(this.#streamEndedWithoutAnswer(undefined));
      return;
    }
    if (this.#partialAnswer?.() === true) return;
    this.#finish(fromSocket());
  }

  #onClose(): void {
    if (this.#settled) return;
    this.#tls.closedBy ??= 'server';
    this.#connectionEnded(() => this.#closedWithoutAnswer());
  }

  #closedWithoutAnswer(): Outcome {
    this.#tls.closedBy ??= 'server';
    if (!this.#flight.flightSent && this.request.judgedAtHello !== true) {
      return { kind: 'shed', reason: 'closed-before-certificate', tls: this.#tls, detail: 'the server closed the connection before the client sent its certificate, so it never judged it' };
    }
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
    if (this.#app.httpStatus !== undefined && !this.request.target.grpc) {
      // A status that arrived decides; only the body was slow.
      this.#finishFromAnswer(true);
      return;
    }
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
    clearTimeout(this.#bodyTimer);
    this.#tls.timings.totalMs = this.#elapsed();
    this.#tls.client = this.#flight;
    this.#session?.destroy();
    this.#socket?.destroy();
    this.resolve(outcome);
  }

  #elapsed(): number {
    return Math.round((performance.now() - this.#started) * 10) / 10;
  }
}

const clientRandomLabel = Buffer.from('CLIENT_RANDOM ');

/** Which HTTP/1.x was spoken and why: the evidence says it, and an HTTP/1.0 answer plainly. */
function http1Note(app: AppFacts, tlsFacts: TlsFacts): string {
  const alpn = tlsFacts.alpn ? `ALPN ${tlsFacts.alpn}` : 'the server chose no ALPN';
  return app.httpVersion === 'HTTP/1.0' ? `over HTTP/1.1, ${alpn}; the server answered in HTTP/1.0` : `over HTTP/1.1, ${alpn}`;
}

/** HTTP/2 error codes by name (RFC 9113 7), for the evidence. */
const http2ErrorNames: readonly string[] = [
  'NO_ERROR', 'PROTOCOL_ERROR', 'INTERNAL_ERROR', 'FLOW_CONTROL_ERROR', 'SETTINGS_TIMEOUT', 'STREAM_CLOSED', 'FRAME_SIZE_ERROR',
  'REFUSED_STREAM', 'CANCEL', 'COMPRESSION_ERROR', 'CONNECT_ERROR', 'ENHANCE_YOUR_CALM', 'INADEQUATE_SECURITY', 'HTTP_1_1_REQUIRED',
];

export function http2ErrorName(code: number): string {
  return http2ErrorNames[code] ?? `error code ${code}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Server facts by what decides them: the server presents the same chain on
 * every connection, and reading it through getPeerCertificate(true) was the
 * costliest thing a probe did. Bounded: a balancer with many backends only
 * refills it.
 */
const serverFactsMemo = new Map<string, ServerFacts>();
const serverFactsMemoLimit = 64;

/** What the server presented and whether it checks out, read off the finished handshake. */
function serverFacts(socket: tls.TLSSocket, servername: string): ServerFacts | undefined {
  // getPeerX509Certificate, not getPeerCertificate(true): that one turns every
  // certificate of the chain into a plain object, and was a probe's costliest step.
  const leaf = socket.getPeerX509Certificate();
  if (!leaf) return undefined;
  const chainError = socket.authorizationError ? String((socket.authorizationError as Error & { code?: string }).code ?? socket.authorizationError) : undefined;
  const chain: X509Certificate[] = [];
  const seen = new Set([leaf.fingerprint256]);
  // Node links the chain through issuerCertificate; a root links to itself.
  for (let next = leaf.issuerCertificate; next && !seen.has(next.fingerprint256); next = next.issuerCertificate) {
    seen.add(next.fingerprint256);
    chain.push(next);
  }
  // The whole chain is in the key: backends behind one balancer may share a leaf and send other intermediates.
  const key = `${[...seen].join(',')}|${servername}|${socket.authorized}|${chainError ?? ''}`;
  const known = serverFactsMemo.get(key);
  if (known) return known;
  const chainPems = chain.map((certificate) => derToPem(certificate.raw));
  const nameError = serverNameError(leaf, servername);
  const facts: ServerFacts = {
    certificatePem: derToPem(leaf.raw),
    chainPems,
    chainVerified: socket.authorized,
    ...(chainError ? { chainError } : {}),
    nameMatches: nameError === undefined,
    ...(nameError ? { nameError } : {}),
  };
  if (serverFactsMemo.size >= serverFactsMemoLimit) serverFactsMemo.clear();
  serverFactsMemo.set(key, facts);
  return facts;
}

/** RFC 6125 6.3, as OpenSSL's X509_check_host/ip apply it (the subject CN only without DNS SANs), in Node's wording. */
function serverNameError(leaf: X509Certificate, servername: string): string | undefined {
  const host = servername.replace(/^\[|\]$/g, '');
  const matches = isIP(host) ? leaf.checkIP(host) !== undefined : leaf.checkHost(host, { subject: 'default' }) !== undefined;
  if (matches) return undefined;
  const names = leaf.subjectAltName ? `the cert's altnames: ${leaf.subjectAltName}` : `the cert's subject: ${leaf.subject.replace(/\n/g, ', ')}`;
  return `Hostname/IP does not match certificate's altnames: ${isIP(host) ? 'IP' : 'Host'}: ${host}. is not in ${names}`;
}

/** PEM straight from the DER the handshake gave us: no second parse. */
function derToPem(der: Buffer): string {
  const body = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}
