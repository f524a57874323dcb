import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientCase } from '../src/catalogue/case.js';
import type { Outcome, TlsFacts } from '../src/probe/outcome.js';
import { controlFailure } from '../src/run/preflight.js';
import { judge } from '../src/verdict/judge.js';

/**
 * What an "accepted" rested on is said in the verdict when it is weak (raw
 * TLS without --expect), and the preflight names the URL or flag to try when
 * the answer shows the wrong protocol or HTTP version.
 */
const tls: TlsFacts = { version: 'TLSv1.3', timings: { totalMs: 3 }, client: { flightSent: true, certificate: 'sent' } };
const refused: Outcome = { kind: 'rejected', stage: 'first-read', tls: { ...tls, alert: { name: 'unknown_ca', code: 48 } }, detail: 'the server sent the TLS alert unknown_ca' };
const mustRefuse: ClientCase = {
  kind: 'client', id: 'x/y', title: 't', rule: 'RFC 5280 6.1', level: 'MUST', expect: 'rejected', expectedAlerts: ['unknown_ca'], credential: { kind: 'valid' },
};
const mustAccept: ClientCase = { ...mustRefuse, expect: 'accepted', expectedAlerts: [] };
const rawAccepted = (acceptedOn: 'open-connection' | 'any-reply' | 'expected-reply'): Outcome => ({ kind: 'accepted', tls, app: { protocol: 'tls', acceptedOn }, detail: 'accepted' });

describe('the verdict says what "accepted" rested on when it is weak', () => {
  it('raw TLS without --send or --expect: the control only stayed open', () => {
    const control = rawAccepted('open-connection');
    const v = judge(mustRefuse, refused, { before: control, after: control }, { strict: false });
    assert.equal(v.status, 'passed');
    assert.match(v.why, /accepted the valid control; "accepted" rests only on the connection staying open without an alert after the handshake \(raw TLS without --send or --expect\)/);
  });

  it('raw TLS with --send alone: any reply', () => {
    const v = judge(mustAccept, rawAccepted('any-reply'), { before: rawAccepted('any-reply') }, { strict: false });
    assert.equal(v.status, 'passed');
    assert.match(v.why, /rests on any reply at all \(raw TLS without --expect\); --expect REGEX tells/);
  });

  it('a reply matching --expect, or an HTTP status, needs no such note', () => {
    const v = judge(mustAccept, rawAccepted('expected-reply'), { before: rawAccepted('expected-reply') }, { strict: false });
    assert.equal(v.why, 'the target accepted this connection, as it must');
  });
});

describe('the preflight line names the URL or flag to try', () => {
  const where = 'https://127.0.0.1:8443/ (HTTP/2)';
  it('a server that speaks only HTTP/1.0 answers HTTP/1.1 with 505', () => {
    const outcome: Outcome = { kind: 'accepted', tls, app: { protocol: 'http1', httpStatus: 505, httpVersion: 'HTTP/1.0' }, detail: 'HTTP 505' };
    assert.match(controlFailure(where, 'http2', outcome), /wrong protocol for this URL: the server answered HTTP 505 \(HTTP Version Not Supported\) to HTTP\/1\.1: if it speaks only HTTP\/1\.0, test it with tls:\/\/host:port --send "GET \/path HTTP\/1\.0\\r\\n\\r\\n" --expect/);
  });

  it('a gRPC server answers a plain GET over HTTP/2 with a bare 415', () => {
    const outcome: Outcome = { kind: 'accepted', tls, app: { protocol: 'http2', httpStatus: 415 }, detail: 'HTTP 415' };
    assert.match(controlFailure(where, 'http2', outcome), /wrong protocol for this URL: .*HTTP 415 .*as gRPC servers do: if it is one, use grpcs:\/\//);
  });

  it('an HTTP/1.1 server answering 200 is no mismatch', () => {
    const outcome: Outcome = { kind: 'accepted', tls, app: { protocol: 'http1', httpStatus: 200, httpVersion: 'HTTP/1.1' }, detail: 'HTTP 200' };
    assert.equal(controlFailure(where, 'http2', outcome), `${where} accepted the valid control credential`);
  });
});
