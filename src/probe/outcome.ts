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
  /** The alert the server sent, if any. */
  alert?: TlsAlert;
  /** Who ended the connection first: the server (FIN/reset/alert), the harness, or the clock. */
  closedBy?: 'server' | 'client' | 'timeout';
  /** The error code Node reported, verbatim (e.g. ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED). */
  errorCode?: string;
  /** Milliseconds from the start of the probe. */
  timings: { tcpConnectMs?: number; handshakeMs?: number; firstResponseMs?: number; totalMs: number };
  /** The server's certificate, as seen by the harness, and whether it checked out. */
  server?: ServerFacts;
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
  protocol: 'grpc' | 'http2' | 'tls';
  httpStatus?: number;
  grpcStatus?: number;
  grpcStatusName?: string;
  grpcMessage?: string;
  /** The first bytes of the response body (or decoded gRPC reply), for the report. */
  bodyExcerpt?: string;
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

export type Outcome =
  | { kind: 'accepted'; tls: TlsFacts; app: AppFacts; detail: string }
  | { kind: 'rejected'; stage: RejectionStage; tls: TlsFacts; app?: AppFacts; detail: string }
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
    case 'unreachable':
      return `unreachable (${outcome.reason}): ${outcome.detail}`;
  }
}

export function formatAlert(alert: TlsAlert): string {
  return alert.code === undefined ? alert.name : `${alert.name} (${alert.code})`;
}
