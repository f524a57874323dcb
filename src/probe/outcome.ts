/**
 * What a target did with one connection attempt, with the evidence. The probe
 * produces it; the verdict judges it. An Outcome describes behaviour only: it
 * never says whether that behaviour was right.
 */

export interface TlsAlert {
  /** RFC 8446 6.2 name, e.g. "unknown_ca". */
  name: string;
  /** The alert's number on the wire, e.g. 48; undefined when OpenSSL named one we do not know. */
  code: number | undefined;
}

export interface TlsFacts {
  /** Negotiated version ("TLSv1.3"), when the handshake completed. */
  version?: string;
  cipher?: string;
  /** Negotiated ALPN protocol, or false when the server chose none. */
  alpn?: string | false;
  /** The alert the server sent, if any (`mtlspec client`: the alert the client under test sent). */
  alert?: TlsAlert;
  /**
   * Who ended the connection first: the server (FIN/reset/alert), the harness, or the clock; under
   * `mtlspec client`, the client under test.
   */
  closedBy?: 'server' | 'client' | 'timeout' | 'client-under-test';
  /** The error code Node reported, verbatim (e.g. ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED). */
  errorCode?: string;
  /** Milliseconds from the start of the probe. */
  timings: { tcpConnectMs?: number; handshakeMs?: number; firstResponseMs?: number; totalMs: number };
  /** The server's certificate, as seen by the harness, and whether it checked out. */
  server?: ServerFacts;
  /**
   * How far the client got before the connection ended, and whether its
   * certificate went out. In TLS 1.3 the client sends its certificate only
   * after the server's Finished, so anything that ends a connection before
   * that point cannot be a judgement of the certificate.
   */
  client?: ClientFlight;
}

/**
 * Whether the client's certificate was really presented:
 * - sent: the server asked, and it allows a signature algorithm this key can make;
 * - not-requested: the server sent no CertificateRequest, so nothing was sent;
 * - not-sendable: the server asked, but allows no signature algorithm this key can
 *   make, so OpenSSL sent an empty Certificate message instead;
 * - none: the case presents no certificate;
 * - not-reached: the connection ended before the client's certificate flight.
 */
export type CertificatePresentation = 'sent' | 'not-requested' | 'not-sendable' | 'none' | 'not-reached';

export interface ClientFlight {
  /** Did the client reach the flight that carries its Certificate (and Finished)? */
  readonly flightSent: boolean;
  readonly certificate: CertificatePresentation;
  /** The signature algorithms the server allows for client certificates, as OpenSSL names them. */
  readonly sharedSigalgs?: readonly string[];
  /** What this key can sign with, e.g. "ECDSA+SHA256" or "RSA-PSS": shown when it was not sendable. */
  readonly keyNeeds?: string;
}

export interface ServerFacts {
  /** The server's leaf (PEM) and what it sent after it. */
  certificatePem: string;
  chainPems: string[];
  /** Did the chain verify to the trust given (--server-ca, or the system roots)? */
  chainVerified: boolean;
  /** OpenSSL's reason when it did not, e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE. */
  chainError?: string;
  /** Does the certificate name the host the harness connected to (RFC 6125)? */
  nameMatches: boolean;
  nameError?: string;
}

export interface AppFacts {
  /** What was spoken after the handshake: an https:// target speaks 'http2' or 'http1', whichever the server picked by ALPN. */
  protocol: 'grpc' | 'http2' | 'http1' | 'tls';
  /** HTTP/1.x: the version the status line names ("HTTP/1.1", or "HTTP/1.0" from an older server). */
  httpVersion?: string;
  httpStatus?: number;
  grpcStatus?: number;
  grpcStatusName?: string;
  grpcMessage?: string;
  /** The first bytes of the response body (or decoded gRPC reply), for the report. */
  bodyExcerpt?: string;
  /** The response's content-type: tells a gRPC server from a plain HTTP one. */
  contentType?: string;
  /** HTTP/2: the RST_STREAM error code that ended the request stream, by name (e.g. REFUSED_STREAM). */
  streamError?: string;
  /** HTTP/2: a GOAWAY the server sent, with its error code's name and last stream id. */
  goaway?: { errorCode: string; lastStreamId: number };
  /** The server's Retry-After, in milliseconds, when it shed the request (429, 503). */
  retryAfterMs?: number;
  /** WWW-Authenticate of the answer (RFC 6750 3: a bearer refusal names its error there), cut at 300 characters. */
  wwwAuthenticate?: string;
  /** Extra request fields the probe sent (a token, a forged identity header), as the evidence may show them. */
  requestHeaders?: ReadonlyArray<{ name: string; shown: string }>;
  /** HTTP/2: fields sent twice that travelled as one, values joined by ", " (Node's client cannot repeat them). */
  foldedHeaders?: readonly string[];
  /** The body was cut at the size bound or the body deadline: the status had already decided. */
  bodyTruncated?: boolean;
  /**
   * Raw TLS: what an acceptance rests on: a reply matching --expect, any
   * reply (--send alone), or only a connection that stayed open (neither).
   */
  acceptedOn?: 'expected-reply' | 'any-reply' | 'open-connection';
}

export type RejectionStage = 'handshake' | 'first-read' | 'application';

export type UnreachableReason =
  | 'refused'
  | 'timeout'
  | 'dns'
  | 'not-tls'
  | 'no-alpn'
  | 'client-unsupported'
  | 'error';

/**
 * Why a probe was shed: the target (or something in front of it) turned the
 * connection or the request away before it could have judged the credential.
 * Not a refusal of the credential; such probes are retried, then inconclusive.
 */
export type ShedReason =
  /** The connection was closed or reset before the client's certificate flight. */
  | 'closed-before-certificate'
  /** HTTP/2 RST_STREAM REFUSED_STREAM: the server did not process the request. */
  | 'refused-stream'
  /** HTTP/2 GOAWAY before the response: the server is going away or draining. */
  | 'goaway'
  /** HTTP 429, 502, 503, 504, or gRPC UNAVAILABLE / RESOURCE_EXHAUSTED: overloaded, rate-limited, or no backend. */
  | 'overloaded'
  /** The TLS alert internal_error or user_canceled: the server failed or gave up. */
  | 'server-error';

export type Outcome =
  | { kind: 'accepted'; tls: TlsFacts; app: AppFacts; detail: string }
  | { kind: 'rejected'; stage: RejectionStage; tls: TlsFacts; app?: AppFacts; detail: string }
  | { kind: 'shed'; reason: ShedReason; tls: TlsFacts; app?: AppFacts; detail: string }
  | { kind: 'unreachable'; reason: UnreachableReason; tls: TlsFacts; detail: string };

/** One line a reader understands: "rejected at first read, alert unknown_ca (48)". */
export function describeOutcome(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'accepted':
      return `accepted: ${outcome.detail}`;
    case 'rejected': {
      const alert = outcome.tls.alert ? `, alert ${formatAlert(outcome.tls.alert)}` : '';
      return `rejected at ${outcome.stage.replace('-', ' ')}${alert}: ${outcome.detail}`;
    }
    case 'shed':
      return `shed (${outcome.reason}), not a judgement of the credential: ${outcome.detail}`;
    case 'unreachable':
      return `unreachable (${outcome.reason}): ${outcome.detail}`;
  }
}

/** The application facts of an outcome, when it got that far. */
export function appFactsOf(outcome: Outcome): AppFacts | undefined {
  return outcome.kind === 'unreachable' ? undefined : outcome.app;
}

export function formatAlert(alert: TlsAlert): string {
  return alert.code === undefined ? alert.name : `${alert.name} (${alert.code})`;
}
