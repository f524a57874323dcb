import type { TlsAlert } from './outcome.js';

/** RFC 8446 6.2 alert numbers, for the names OpenSSL puts in its error codes. */
const alertCodes: Record<string, number> = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
};

/**
 * Node reports an alert *received from the peer* as an error whose code is
 * ERR_SSL_<VERSION>_ALERT_<NAME>, e.g. ERR_SSL_TLSV1_ALERT_UNKNOWN_CA.
 * Anything else (a local verification failure, a reset) is not an alert.
 */
export function alertFromErrorCode(code: string | undefined): TlsAlert | undefined {
  const match = code?.match(/^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_([A-Z_]+)$/);
  if (!match?.[1]) return undefined;
  const name = match[1].toLowerCase();
  return { name, code: alertCodes[name] };
}

/** grpc-js and others embed OpenSSL's text ("...alert unknown ca...") in messages. */
export function alertFromText(text: string): TlsAlert | undefined {
  const match = text.match(/(?:sslv3|tlsv1|tlsv13) alert ([a-z ]+?)(?:[^a-z ]|$)/i);
  if (!match?.[1]) return undefined;
  const name = match[1].trim().toLowerCase().replace(/ /g, '_');
  return { name, code: alertCodes[name] };
}
