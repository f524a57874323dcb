import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { alertFromErrorCode, alertFromText } from '../src/probe/alerts.js';
import { classifyGrpcAnswer, classifyHttpAnswer } from '../src/probe/application.js';
import { classifySocketError } from '../src/probe/classify.js';
import type { TlsFacts } from '../src/probe/outcome.js';

const facts = (): TlsFacts => ({ timings: { totalMs: 1 } });
const error = (code: string, message = code): NodeJS.ErrnoException => Object.assign(new Error(message), { code });

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
    const o = classifySocketError(error('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION'), false, facts());
    assert.equal(o.kind, 'rejected');
    assert.equal(o.kind === 'rejected' && o.stage, 'handshake');
    assert.equal(o.tls.alert?.name, 'protocol_version');
    assert.equal(o.tls.closedBy, 'server');
  });

  it('the same alert after the handshake is a first-read rejection (TLS 1.3 client auth)', () => {
    const o = classifySocketError(error('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), true, facts());
    assert.equal(o.kind === 'rejected' && o.stage, 'first-read');
  });

  it('names why a target is unreachable', () => {
    const reason = (code: string): string | undefined => {
      const o = classifySocketError(error(code), false, facts());
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
    const o = classifySocketError(error('ERR_SSL_UNSUPPORTED_PROTOCOL'), false, facts());
    assert.equal(o.kind === 'rejected' && o.stage, 'handshake');
  });

  it('a reset is a refusal without an alert, at the stage it happened', () => {
    const o = classifySocketError(error('ECONNRESET'), true, facts());
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

  it('gRPC: a proxy 403 without a gRPC status is a refusal', () => {
    assert.equal(classifyGrpcAnswer({ protocol: 'grpc', httpStatus: 403 }, facts()).kind, 'rejected');
  });
});
