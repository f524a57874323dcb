import { alertFromErrorCode } from './alerts.js';
import type { Outcome, TlsFacts } from './outcome.js';

/**
 * Turns a socket error into an Outcome. `handshakeDone` matters because in
 * TLS 1.3 the server judges the client certificate after the client has
 * finished its handshake: the same alert means "rejected at handshake" before
 * and "rejected at first read" after.
 */
export function classifySocketError(error: NodeJS.ErrnoException, handshakeDone: boolean, tls: TlsFacts): Outcome {
  const code = error.code ?? 'UNKNOWN';
  tls.errorCode = code;
  const alert = alertFromErrorCode(code);
  if (alert?.name === 'no_application_protocol') {
    // Not a verdict on the credential: the server speaks no protocol we offered (h2).
    tls.alert = alert;
    return { kind: 'unreachable', reason: 'no-alpn', tls, detail: 'the server does not speak HTTP/2: it answered ALPN h2 with the alert no_application_protocol' };
  }
  if (alert) {
    tls.alert = alert;
    tls.closedBy = 'server';
    return {
      kind: 'rejected',
      stage: handshakeDone ? 'first-read' : 'handshake',
      tls,
      detail: `the server sent the TLS alert ${alert.name}`,
    };
  }
  if (code === 'ECONNREFUSED') return { kind: 'unreachable', reason: 'refused', tls, detail: 'connection refused: nothing listens on that port' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { kind: 'unreachable', reason: 'dns', tls, detail: `the host name does not resolve (${code})` };
  if (notTlsCodes.has(code)) {
    return { kind: 'unreachable', reason: 'not-tls', tls, detail: `the server did not answer in TLS (${code}); is it a plain-TCP or plain-HTTP port?` };
  }
  if (serverTrustCodes.has(code)) {
    return {
      kind: 'unreachable',
      reason: 'server-untrusted',
      tls,
      detail: `the harness does not trust the server's certificate (${code}: ${error.message}); pass the CA that issued it with --server-ca`,
    };
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_SSL_UNEXPECTED_EOF_WHILE_READING') {
    tls.closedBy = 'server';
    return {
      kind: 'rejected',
      stage: handshakeDone ? 'first-read' : 'handshake',
      tls,
      detail: `the server reset the connection ${handshakeDone ? 'after the handshake' : 'during the handshake'}, without an alert`,
    };
  }
  return { kind: 'unreachable', reason: 'error', tls, detail: `${code}: ${error.message}` };
}

/** OpenSSL's words for "the bytes that came back were not a TLS record". */
const notTlsCodes = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_HTTP_REQUEST',
  'ERR_SSL_RECORD_LAYER_FAILURE',
]);

/** The harness's own verification of the server certificate failed. */
const serverTrustCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'INVALID_PURPOSE',
]);
