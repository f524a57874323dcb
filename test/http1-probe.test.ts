import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createRunPki, loopbackHosts, type RunPki } from '../src/pki/index.js';
import { probe, type ClientCredential } from '../src/probe/probe.js';
import type { Outcome } from '../src/probe/outcome.js';
import { Http1HeadReader } from '../src/probe/http1.js';
import { parseTargetUrl, type TargetOptions } from '../src/target/target.js';

/**
 * The HTTP/1.1 path of probe() and raw TLS with --expect, against a TLS
 * server written here by hand: each test decides byte by byte what the
 * server answers after the handshake, so the reader is checked on exactly
 * the answers that matter (a status and a slow body, a 400 then a close, a
 * close before any status line, an HTTP/1.0 answer).
 */
let pki: RunPki;
let credential: ClientCredential;
const servers: tls.Server[] = [];

before(async () => {
  pki = await createRunPki({ clientSpiffeId: 'spiffe://example.org/client', trustedCa: 'generate', serverHosts: loopbackHosts });
  credential = await pki.issue(pki.validClientTemplate());
});
after(() => {
  for (const server of servers) server.close();
});

interface ServerPlan {
  /** ALPN protocols the server selects from; undefined: it does no ALPN at all. */
  alpn?: string[];
  /** What the server does once the client's request (or, for raw TLS, its first bytes) arrived. */
  answer(socket: tls.TLSSocket, request: string): void;
}

/** A TLS 1.3 server that requires a client certificate from the run's CA, then follows the plan. */
async function handWritten(plan: ServerPlan): Promise<number> {
  assert.ok(pki.server && pki.trustedCa);
  const server = tls.createServer({
    cert: pki.server.certPem,
    key: pki.server.keyPem,
    ca: pki.trustedCa.certPem,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.3',
    ...(plan.alpn ? { ALPNProtocols: plan.alpn } : {}),
  });
  server.on('secureConnection', (socket) => {
    socket.on('error', () => undefined);
    let request = '';
    socket.on('data', (chunk: Buffer) => {
      const first = request === '';
      request += chunk.toString('latin1');
      if (first) plan.answer(socket, request);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function probeAt(url: string, options: TargetOptions = {}, timeoutMs = 4000): Promise<Outcome> {
  assert.ok(pki.trustedCa);
  return probe({ target: parseTargetUrl(url, options), credential, serverCaPem: pki.trustedCa.certPem, timeoutMs });
}

describe('HTTP/1.1 over the probe\'s own TLS socket', () => {
  it('sends GET with Host and Connection: close, and a 200 whose body drips is accepted once the status is in', async () => {
    let seen = '';
    const port = await handWritten({
      alpn: ['http/1.1'],
      answer: (socket, request) => {
        seen = request;
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhel');
        const drip = setInterval(() => socket.write('l'), 200);
        socket.once('close', () => clearInterval(drip));
      },
    });
    const started = performance.now();
    const outcome = await probeAt(`https://127.0.0.1:${port}/hello`, {}, 8000);
    assert.equal(outcome.kind, 'accepted', outcome.detail);
    assert.match(seen, /^GET \/hello HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\n(?:.*\r\n)*Connection: close\r\n/);
    assert.equal(outcome.kind === 'accepted' && outcome.app.protocol, 'http1');
    assert.equal(outcome.tls.alpn, 'http/1.1');
    assert.equal(outcome.kind === 'accepted' && outcome.app.httpStatus, 200);
    assert.equal(outcome.kind === 'accepted' && outcome.app.bodyTruncated, true);
    assert.match(outcome.detail, /HTTP 200: the request reached the application \(over HTTP\/1\.1, ALPN http\/1\.1\)/);
    assert.equal(outcome.tls.client?.certificate, 'sent');
    assert.ok(performance.now() - started < 4000, 'the body grace, not the 8 s timeout, ended it');
  });

  it('a server with no ALPN is spoken to in HTTP/1.1, and the evidence says so', async () => {
    const port = await handWritten({ answer: (socket) => socket.end('HTTP/1.1 204 No Content\r\n\r\n') });
    const outcome = await probeAt(`https://127.0.0.1:${port}/`);
    assert.equal(outcome.kind, 'accepted', outcome.detail);
    assert.equal(outcome.tls.alpn, false);
    assert.match(outcome.detail, /HTTP 204.*\(over HTTP\/1\.1, the server chose no ALPN\)/);
  });

  it('400 then a close is a refusal at the application, with the page in the evidence', async () => {
    const page = '<html><center>No required SSL certificate was sent</center></html>';
    const port = await handWritten({
      alpn: ['http/1.1'],
      answer: (socket) => socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Length: ${page.length}\r\nConnection: close\r\n\r\n${page}`),
    });
    const outcome = await probeAt(`https://127.0.0.1:${port}/`);
    assert.equal(outcome.kind === 'rejected' && outcome.stage, 'application', outcome.detail);
    assert.equal(outcome.kind === 'rejected' && outcome.app?.httpStatus, 400);
    assert.equal(outcome.kind === 'rejected' && outcome.app?.bodyExcerpt, page);
    assert.equal(outcome.kind === 'rejected' && outcome.app?.bodyTruncated, undefined, 'the whole body came: nothing was cut');
  });

  it('a close before any status line, after the certificate went out, is a bare refusal at first read, as on HTTP/2', async () => {
    const port = await handWritten({ alpn: ['http/1.1'], answer: (socket) => socket.end() });
    const outcome = await probeAt(`https://127.0.0.1:${port}/`);
    assert.equal(outcome.kind === 'rejected' && outcome.stage, 'first-read', outcome.detail);
    assert.equal(outcome.tls.client?.certificate, 'sent');
    assert.equal(outcome.tls.alert, undefined);
  });

  it('an HTTP/1.0 answer is read, and the evidence says it was HTTP/1.0', async () => {
    const port = await handWritten({ answer: (socket) => socket.end('HTTP/1.0 200 OK\r\nServer: old\r\n\r\nhello') });
    const outcome = await probeAt(`https://127.0.0.1:${port}/`);
    assert.equal(outcome.kind, 'accepted', outcome.detail);
    assert.equal(outcome.kind === 'accepted' && outcome.app.httpVersion, 'HTTP/1.0');
    assert.equal(outcome.kind === 'accepted' && outcome.app.bodyExcerpt, 'hello');
    assert.match(outcome.detail, /the server answered in HTTP\/1\.0/);
  });

  it('shedding statuses are shed over HTTP/1.1 too, with their Retry-After', async () => {
    const port = await handWritten({ alpn: ['http/1.1'], answer: (socket) => socket.end('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Length: 0\r\n\r\n') });
    const outcome = await probeAt(`https://127.0.0.1:${port}/`);
    assert.equal(outcome.kind === 'shed' && outcome.reason, 'overloaded', outcome.detail);
    assert.equal(outcome.kind === 'shed' && outcome.app?.retryAfterMs, 2000);
  });

  it('an answer that is no HTTP/1.x response says nothing: unreachable, shown verbatim', async () => {
    const port = await handWritten({ alpn: ['http/1.1'], answer: (socket) => socket.end('SSH-2.0-OpenSSH_9.2\r\n') });
    const outcome = await probeAt(`https://127.0.0.1:${port}/`);
    assert.equal(outcome.kind, 'unreachable', outcome.detail);
    assert.match(outcome.detail, /no HTTP\/1\.x response: "SSH-2\.0-OpenSSH_9\.2/);
  });

  it('--http2 at a server that picks HTTP/1.1 cannot be judged, and the line names the flag to drop', async () => {
    const port = await handWritten({ alpn: ['http/1.1'], answer: (socket) => socket.end('HTTP/1.1 200 OK\r\n\r\n') });
    const outcome = await probeAt(`https://127.0.0.1:${port}/`, { http: 'http2' });
    assert.equal(outcome.kind === 'unreachable' && outcome.reason, 'no-alpn', outcome.detail);
    assert.match(outcome.detail, /drop --http2/);
  });

  it('gRPC at an HTTP/1.1 server names https:// as the fix', async () => {
    const port = await handWritten({ alpn: ['http/1.1'], answer: (socket) => socket.end('HTTP/1.1 200 OK\r\n\r\n') });
    const outcome = await probeAt(`grpcs://127.0.0.1:${port}`);
    assert.equal(outcome.kind === 'unreachable' && outcome.reason, 'no-alpn', outcome.detail);
    assert.match(outcome.detail, /gRPC runs only over HTTP\/2: is it an HTTP\/1\.1 server\? Test it with https:\/\/127\.0\.0\.1:\d+\/path/);
  });
});

describe('raw TLS with --expect', () => {
  it('a reply that matches is accepted', async () => {
    const port = await handWritten({ answer: (socket) => socket.end('OK ready\n') });
    const outcome = await probeAt(`tls://127.0.0.1:${port}`, { send: 'ping\n', expect: '^OK' });
    assert.equal(outcome.kind, 'accepted', outcome.detail);
    assert.equal(outcome.kind === 'accepted' && outcome.app.acceptedOn, 'expected-reply');
    assert.match(outcome.detail, /matches --expect \/\^OK\//);
  });

  it('a reply that does not match is a refusal at the application, shown verbatim and bounded', async () => {
    const long = `ERR no client certificate ${'x'.repeat(1000)}`;
    const port = await handWritten({ answer: (socket) => socket.write(long) });
    const outcome = await probeAt(`tls://127.0.0.1:${port}`, { send: 'ping\n', expect: '^OK' });
    assert.equal(outcome.kind === 'rejected' && outcome.stage, 'application', outcome.detail);
    assert.equal(outcome.kind === 'rejected' && outcome.app?.bodyExcerpt?.length, 300);
    assert.match(outcome.detail, /does not match --expect \/\^OK\/: "ERR no client certificate x+"$/);
  });

  it('a reply that arrives in pieces is matched as a whole', async () => {
    const port = await handWritten({
      answer: (socket) => {
        socket.write('O');
        setTimeout(() => socket.end('K\n'), 100);
      },
    });
    const outcome = await probeAt(`tls://127.0.0.1:${port}`, { send: 'ping\n', expect: '^OK\\n' });
    assert.equal(outcome.kind, 'accepted', outcome.detail);
  });

  it('without --expect, any reply is accepted, and the outcome says that is all it rests on', async () => {
    const port = await handWritten({ answer: (socket) => socket.end('ERR go away\n') });
    const outcome = await probeAt(`tls://127.0.0.1:${port}`, { send: 'ping\n' });
    assert.equal(outcome.kind, 'accepted', outcome.detail);
    assert.equal(outcome.kind === 'accepted' && outcome.app.acceptedOn, 'any-reply');
    assert.match(outcome.detail, /any reply counts as acceptance/);
  });
});

describe('the HTTP/1.x head reader', () => {
  it('skips interim 1xx answers and keeps the body bytes that came with the head', () => {
    const reader = new Http1HeadReader();
    assert.deepEqual(reader.push(Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 4')), { kind: 'more' });
    const read = reader.push(Buffer.from('03 Forbidden\r\nX-A: 1\r\nx-a: 2\r\n\r\nbody'));
    assert.equal(read.kind, 'head');
    assert.equal(read.kind === 'head' && read.head.status, 403);
    assert.equal(read.kind === 'head' && read.head.headers.get('x-a'), '1');
    assert.equal(read.kind === 'head' && read.rest.toString(), 'body');
  });

  it('decides on the status line when the head is larger than its bound', () => {
    const reader = new Http1HeadReader();
    const read = reader.push(Buffer.from(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    assert.equal(read.kind === 'head' && read.head.status, 200);
    assert.equal(read.kind === 'head' && read.head.headTruncated, true);
  });
});
