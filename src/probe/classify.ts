import { alertFromErrorCode } from './alerts.js';
import type { Outcome, TlsFacts } from './outcome.js';

/** How far a connection got when it ended. */
export interface ConnectionProgress {
  /** The client's handshake completed (Node's secureConnect). */
  readonly handshakeDone: boolean;
  /** The client's certificate flight went out (TLS 1.3: with its Finished; TLS 1.2: before the server's Finished). */
  readonly flightSent: boolean;
  /**
   * The probe offers something the server judges from the ClientHello (an
   * old TLS version): a close there may be its refusal, and is read as a
   * bare one (repeated, and bracketed by controls) rather than as shed.
   */
  readonly judgedAtHello?: boolean;
}

/**
 * Turns a socket error into an Outcome. The stage matters because in TLS 1.3
 * the server judges the client certificate after the client has finished its
 * handshake: the same alert means "rejected at handshake" before and
 * "rejected at first read" after. A reset or an EOF before the client's
 * certificate flight went out cannot be a judgement of that certificate: a
 * connection cap, a rate limit or a dying proxy looks exactly like that, so
 * it is "shed", not "rejected".
 */
export function classifySocketError(error: NodeJS.ErrnoException, progress: ConnectionProgress, tls: TlsFacts): Outcome {
  const { handshakeDone, flightSent } = progress;
  const code = error.code ?? 'UNKNOWN';
  tls.errorCode = code;
  const alert = alertFromErrorCode(code);
  if (alert?.name === 'no_application_protocol') {
    // Not a verdict on the credential: the server speaks no protocol we offered (h2).
    tls.alert = alert;
    return { kind: 'unreachable', reason: 'no-alpn', tls, detail: 'the server does not speak HTTP/2: it answered ALPN h2 with the alert no_application_protocol' };
  }
  if (alert && notAJudgementAlerts.has(alert.name)) {
    // The server failed or gave up (a broken OCSP/CRL/HSM backend, a worker shutting down): not a verdict on the credential.
    tls.alert = alert;
    tls.closedBy = 'server';
    return { kind: 'shed', reason: 'server-error', tls, detail: `the server sent the TLS alert ${alert.name}: it failed or gave up, which is no judgement of the credential` };
  }
  if (alert) {
    tls.alert = alert;
    tls.closedBy = 'server';
    return {
      kind: 'rejected',
      stage: handshakeDone ? 'first-read' : 'handshake',
      tls,
      detail: `the server sent the TLS alert ${alert.name}${flightSent ? '' : ' before the client sent its certificate'}`,
    };
  }
  if (code === 'ECONNREFUSED') return { kind: 'unreachable', reason: 'refused', tls, detail: 'connection refused: nothing listens on that port' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { kind: 'unreachable', reason: 'dns', tls, detail: `the host name does not resolve (${code})` };
  if (notTlsCodes.has(code)) {
    return { kind: 'unreachable', reason: 'not-tls', tls, detail: `the server did not answer in TLS (${code}); is it a plain-TCP or plain-HTTP port?` };
  }
  if (clientUnsupportedCodes.has(code)) {
    return { kind: 'unreachable', reason: 'client-unsupported', tls, detail: `this machine's OpenSSL cannot offer what the case needs (${code}), so the server's answer is unknown` };
  }
  if (code === 'ERR_SSL_UNSUPPORTED_PROTOCOL' && !handshakeDone) {
    // The server answered with a version the client does not offer: it would not speak ours.
    return { kind: 'rejected', stage: 'handshake', tls, detail: 'the server chose a TLS version the client did not offer, so it refused the versions offered' };
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_SSL_UNEXPECTED_EOF_WHILE_READING') {
    tls.closedBy = 'server';
    if (!flightSent && progress.judgedAtHello !== true) {
      return {
        kind: 'shed',
        reason: 'closed-before-certificate',
        tls,
        detail: `the connection was ${code === 'ECONNRESET' ? 'reset' : 'closed'} (${code}) before the client sent its certificate, so the target never judged it`,
      };
    }
    return {
      kind: 'rejected',
      stage: handshakeDone ? 'first-read' : 'handshake',
      tls,
      detail: `the server reset the connection ${handshakeDone ? 'after the handshake' : 'during the handshake'}, without an alert`,
    };
  }
  return { kind: 'unreachable', reason: 'error', tls, detail: `${code}: ${error.message}` };
}

/** Alerts that say the server itself failed or stopped, not that it judged the peer (RFC 8446 6.2). */
const notAJudgementAlerts: ReadonlySet<string> = new Set(['internal_error', 'user_canceled', 'user_cancelled']);

/** OpenSSL's words for "the bytes that came back were not a TLS record". */
const notTlsCodes = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_HTTP_REQUEST',
  'ERR_SSL_RECORD_LAYER_FAILURE',
]);

/** The local TLS library refused to build the ClientHello the case asks for (e.g. TLS 1.0 without legacy ciphers). */
const clientUnsupportedCodes = new Set([
  'ERR_SSL_NO_PROTOCOLS_AVAILABLE',
  'ERR_SSL_LEGACY_SIGALG_DISALLOWED_OR_UNSUPPORTED',
  'ERR_SSL_NO_CIPHERS_AVAILABLE',
  'ERR_TLS_INVALID_PROTOCOL_VERSION',
]);
