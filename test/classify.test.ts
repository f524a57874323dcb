import { describe, it } from 'node:test';
import { generateKeyPairSync } from 'node:crypto';
import { clientFlight } from '../src/probe/client-flight.js';
import assert from 'node:assert/strict';
import { alertFromErrorCode, alertFromText } from '../src/probe/alerts.js';
import { classifyGrpcAnswer, classifyHttpAnswer, retryAfterMs } from '../src/probe/application.js';
import { classifySocketError, type ConnectionProgress } from '../src/probe/classify.js';
import type { TlsFacts } from '../src/probe/outcome.js';

const facts = (): TlsFacts => ({ timings: { totalMs: 1 } });
const error = (code: string, message = code): NodeJS.ErrnoException => Object.assign(new Error(message), { code });
const beforeFlight: ConnectionProgress = { handshakeDone: false, flightSent: false };
const afterTls12Flight: ConnectionProgress = { handshakeDone: false, flightSent: true };
const afterHandshake: ConnectionProgress = { handshakeDone: true, flightSent: true };

describe('alerts', () => {
  it('reads the alert the peer sent from Node error codes', () => {
    assert.deepEqual(alertFromErrorCode('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), { name: 'certificate_required', code: 116 });
    assert.deepEqual(alertFromErrorCode('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), { name: 'unknown_ca', code: 48 });
    assert.deepEqual(alertFromErrorCode('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE'), { name: 'bad_certificate', code: 42 });
    assert.deepEqual(alertFromErrorCode('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION'), { name: 'protocol_version', code: 70 });
  });

  it('does not mistake local errors for alerts', () => {
    assert.equal(alertFromErrorCode('ERR_SSL_WRONG_VERSION_NUMBER'), undefined);
    assert.equal(alertFromErrorCode('ECONNRESET'), undefined);
    assert.equal(alertFromErrorCode(undefined), undefined);
  });

  it('reads OpenSSL alert text embedded in messages (grpc-js style)', () => {
    assert.deepEqual(alertFromText('14 UNAVAILABLE: ... ssl3_read_bytes:sslv3 alert certificate expired:...'), { name: 'certificate_expired', code: 45 });
    assert.equal(alertFromText('No connection established'), undefined);
  });
});

describe('socket errors', () => {
  it('an alert before the handshake completes is a handshake rejection', () => {
    const o = classifySocketError(error('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION'), beforeFlight, facts());
    assert.equal(o.kind, 'rejected');
    assert.equal(o.kind === 'rejected' && o.stage, 'handshake');
    assert.equal(o.tls.alert?.name, 'protocol_version');
    assert.equal(o.tls.closedBy, 'server');
  });

  it('the same alert after the handshake is a first-read rejection (TLS 1.3 client auth)', () => {
    const o = classifySocketError(error('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), afterHandshake, facts());
    assert.equal(o.kind === 'rejected' && o.stage, 'first-read');
  });

  it('names why a target is unreachable', () => {
    const reason = (code: string): string | undefined => {
      const o = classifySocketError(error(code), beforeFlight, facts());
      return o.kind === 'unreachable' ? o.reason : `not unreachable: ${o.kind}`;
    };
    assert.equal(reason('ECONNREFUSED'), 'refused');
    assert.equal(reason('ENOTFOUND'), 'dns');
    assert.equal(reason('ERR_SSL_WRONG_VERSION_NUMBER'), 'not-tls');
    assert.equal(reason('ERR_SSL_NO_PROTOCOLS_AVAILABLE'), 'client-unsupported');
    assert.equal(reason('EWHATEVER'), 'error');
    // An HTTP/1.1-only server refuses ALPN h2: a protocol mismatch, not a verdict on the credential.
    assert.equal(reason('ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL'), 'no-alpn');
  });

  it('a server that picks a version the client did not offer refused the ones offered', () => {
    const o = classifySocketError(error('ERR_SSL_UNSUPPORTED_PROTOCOL'), beforeFlight, facts());
    assert.equal(o.kind === 'rejected' && o.stage, 'handshake');
  });

  it('a reset or EOF before the client sent its certificate is shed, not a refusal', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'ERR_SSL_UNEXPECTED_EOF_WHILE_READING']) {
      const o = classifySocketError(error(code), beforeFlight, facts());
      assert.equal(o.kind === 'shed' && o.reason, 'closed-before-certificate', code);
      assert.match(o.detail, /before the client sent its certificate/);
    }
  });

  it('for a case judged at the ClientHello (an old TLS version), a reset there is its bare refusal', () => {
    const o = classifySocketError(error('ECONNRESET'), { ...beforeFlight, judgedAtHello: true }, facts());
    assert.equal(o.kind === 'rejected' && o.stage, 'handshake');
    assert.equal(o.tls.alert, undefined);
  });

  it('a reset after a TLS 1.2 client sent its certificate (before the server Finished) is a handshake refusal', () => {
    const o = classifySocketError(error('ECONNRESET'), afterTls12Flight, facts());
    assert.equal(o.kind === 'rejected' && o.stage, 'handshake');
  });

  it('an alert before the certificate flight says so in its detail', () => {
    assert.match(classifySocketError(error('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE'), beforeFlight, facts()).detail, /before the client sent its certificate/);
    assert.doesNotMatch(classifySocketError(error('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE'), afterHandshake, facts()).detail, /before/);
  });

  it('internal_error and user_canceled say the server failed or gave up: shed, not a refusal', () => {
    for (const code of ['ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR', 'ERR_SSL_TLSV1_ALERT_USER_CANCELLED']) {
      const o = classifySocketError(error(code), afterHandshake, facts());
      assert.equal(o.kind === 'shed' && o.reason, 'server-error', code);
    }
  });

  it('a reset is a refusal without an alert, at the stage it happened', () => {
    const o = classifySocketError(error('ECONNRESET'), afterHandshake, facts());
    assert.equal(o.kind === 'rejected' && o.stage, 'first-read');
    assert.equal(o.tls.alert, undefined);
  });
});

describe('application answers', () => {
  it('HTTP: refusing statuses are rejections at the application, others reached it', () => {
    for (const status of [400, 401, 403, 421, 495, 496]) {
      const o = classifyHttpAnswer({ protocol: 'http2', httpStatus: status }, facts());
      assert.equal(o.kind === 'rejected' && o.stage, 'application', `HTTP ${status}`);
    }
    for (const status of [200, 204, 404, 500]) {
      assert.equal(classifyHttpAnswer({ protocol: 'http2', httpStatus: status }, facts()).kind, 'accepted', `HTTP ${status}`);
    }
  });

  it('gRPC: UNAUTHENTICATED and PERMISSION_DENIED refuse; UNIMPLEMENTED still reached the application', () => {
    const grpc = (grpcStatus: number) => classifyGrpcAnswer({ protocol: 'grpc', httpStatus: 200, grpcStatus }, facts()).kind;
    assert.equal(grpc(16), 'rejected');
    assert.equal(grpc(7), 'rejected');
    assert.equal(grpc(0), 'accepted');
    assert.equal(grpc(12), 'accepted');
  });

  it('HTTP: 429, 502, 503 and 504 are shed (load, rate, no backend), neither refusal nor acceptance', () => {
    for (const status of [429, 502, 503, 504]) {
      const o = classifyHttpAnswer({ protocol: 'http2', httpStatus: status }, facts());
      assert.equal(o.kind === 'shed' && o.reason, 'overloaded', `HTTP ${status}`);
      assert.match(o.detail, new RegExp(`HTTP ${status}`));
    }
    assert.equal(classifyGrpcAnswer({ protocol: 'grpc', httpStatus: 503 }, facts()).kind, 'shed');
  });

  it('gRPC: UNAVAILABLE and RESOURCE_EXHAUSTED are shed, with the status kept', () => {
    for (const [code, name] of [[14, 'UNAVAILABLE'], [8, 'RESOURCE_EXHAUSTED']] as const) {
      const o = classifyGrpcAnswer({ protocol: 'grpc', httpStatus: 200, grpcStatus: code, grpcStatusName: name }, facts());
      assert.equal(o.kind, 'shed');
      assert.equal(o.kind === 'shed' && o.app?.grpcStatus, code);
      assert.match(o.detail, new RegExp(name));
    }
  });

  it('reads Retry-After as seconds or as a date', () => {
    assert.equal(retryAfterMs('2'), 2000);
    assert.equal(retryAfterMs(['1']), 1000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6000);
    assert.equal(retryAfterMs('soon'), undefined);
    assert.equal(retryAfterMs(undefined), undefined);
  });

  it('gRPC: a proxy 403 without a gRPC status is a refusal', () => {
    assert.equal(classifyGrpcAnswer({ protocol: 'grpc', httpStatus: 403 }, facts()).kind, 'rejected');
  });
});

describe('was the client certificate presented?', () => {
  const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const rsaKey = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const edKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const ecdsaOnly = ['ECDSA+SHA256', 'ECDSA+SHA384'];

  it('an RSA key facing an ECDSA-only CertificateRequest is not sendable, and says what it needs', () => {
    const flight = clientFlight(rsaKey, ecdsaOnly, 'TLSv1.3');
    assert.equal(flight.certificate, 'not-sendable');
    assert.equal(flight.keyNeeds, 'RSA-PSS');
  });

  it('TLS 1.3 binds ECDSA to its curve; TLS 1.2 does not', () => {
    assert.equal(clientFlight(ecKey, ecdsaOnly, 'TLSv1.3').certificate, 'sent');
    assert.equal(clientFlight(ecKey, ['ECDSA+SHA384'], 'TLSv1.3').certificate, 'not-sendable');
    assert.equal(clientFlight(ecKey, ['ECDSA+SHA384'], 'TLSv1.2').certificate, 'sent');
  });

  it('RSA signs with PSS in TLS 1.3 but may use PKCS#1 in TLS 1.2', () => {
    assert.equal(clientFlight(rsaKey, ['RSA+SHA256'], 'TLSv1.3').certificate, 'not-sendable');
    assert.equal(clientFlight(rsaKey, ['RSA+SHA256'], 'TLSv1.2').certificate, 'sent');
    assert.equal(clientFlight(rsaKey, ['RSA-PSS+SHA256'], 'TLSv1.3').certificate, 'sent');
  });

  it('Ed25519, no CertificateRequest, and no credential', () => {
    assert.equal(clientFlight(edKey, ['Ed25519+UNDEF'], 'TLSv1.3').certificate, 'sent');
    assert.equal(clientFlight(edKey, ecdsaOnly, 'TLSv1.3').certificate, 'not-sendable');
    assert.equal(clientFlight(ecKey, [], 'TLSv1.3').certificate, 'not-requested');
    assert.equal(clientFlight(undefined, ecdsaOnly, 'TLSv1.3').certificate, 'none');
  });
});
