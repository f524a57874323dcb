import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Outcome, TlsFacts } from '../src/probe/outcome.js';
import { controlFailure } from '../src/run/preflight.js';

const tls: TlsFacts = { version: 'TLSv1.3', timings: { totalMs: 2 }, client: { flightSent: true, certificate: 'sent' } };
const where = 'https://127.0.0.1:8443/hello (HTTP/2)';

describe('the one line when the valid control is not accepted says what was seen', () => {
  it('a refusal at the TLS layer, with its alert', () => {
    const refused: Outcome = { kind: 'rejected', stage: 'first-read', tls: { ...tls, alert: { name: 'unknown_ca', code: 48 } }, detail: 'the server sent the TLS alert unknown_ca' };
    assert.match(controlFailure(where, 'http2', refused), /refused the valid control credential \(the TLS layer refused it with the alert unknown_ca\)/);
  });

  it('a refusal by the application', () => {
    const refused: Outcome = { kind: 'rejected', stage: 'application', tls, app: { protocol: 'grpc', httpStatus: 200, grpcStatus: 7, grpcStatusName: 'PERMISSION_DENIED', contentType: 'application/grpc' }, detail: 'gRPC PERMISSION_DENIED' };
    assert.match(controlFailure(where, 'grpc', refused), /\(the application refused it\).*gRPC PERMISSION_DENIED.*--spiffe-id/);
  });

  it('a target going away (GOAWAY) or shedding load is not a refusal, and is named', () => {
    const goaway: Outcome = { kind: 'shed', reason: 'goaway', tls, app: { protocol: 'http2', goaway: { errorCode: 'NO_ERROR', lastStreamId: 0 } }, detail: 'the server sent GOAWAY NO_ERROR (last stream 0) before answering' };
    const line = controlFailure(where, 'http2', goaway);
    assert.match(line, /cannot judge .*turned the valid control away on every try, without judging it \(the server sent GOAWAY NO_ERROR/);
    assert.doesNotMatch(line, /refused the valid control/);
    const busy: Outcome = { kind: 'shed', reason: 'overloaded', tls, app: { protocol: 'http2', httpStatus: 503 }, detail: 'HTTP 503' };
    assert.match(controlFailure(where, 'http2', busy), /HTTP 503\); is it overloaded, rate-limiting or draining\?/);
  });

  it('the wrong protocol for the URL, both ways', () => {
    const notGrpc: Outcome = { kind: 'accepted', tls, app: { protocol: 'grpc', httpStatus: 404, contentType: 'text/html' }, detail: 'HTTP 404' };
    assert.match(controlFailure('grpcs://127.0.0.1:1 (gRPC)', 'grpc', notGrpc), /wrong protocol for this URL: the server answered HTTP 404 with text\/html and no grpc-status/);
    const grpcServer: Outcome = { kind: 'rejected', stage: 'application', tls, app: { protocol: 'http2', httpStatus: 400, contentType: 'application/grpc' }, detail: 'HTTP 400' };
    assert.match(controlFailure(where, 'http2', grpcServer), /wrong protocol for this URL: the server answered with application\/grpc, so it is a gRPC server: use grpcs:\/\//);
  });

  it('HTTP/1.1 only: what the probe saw is passed through', () => {
    const h1: Outcome = { kind: 'unreachable', reason: 'no-alpn', tls, detail: 'the server does not speak HTTP/2: it answered ALPN h2 with the alert no_application_protocol' };
    assert.match(controlFailure(where, 'http2', h1), /cannot judge .*does not speak HTTP\/2/);
  });
});
