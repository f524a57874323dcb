import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { createRunPki, loopbackHosts, type IssuedLeaf, type RunPki } from '../src/pki/index.js';
import { startHostileHttp2, type Http2Misbehaviour, type RunningHostileHttp2 } from './support/hostile-http2.js';

/**
 * Each hostile HTTP/2 server does what it claims, seen by a plain node:http2
 * client rather than by mtlspec's probe: the end-to-end fault tests need the
 * fault to be real, whatever the probe makes of it.
 */

let pki: RunPki;
let client: IssuedLeaf;
const servers: RunningHostileHttp2[] = [];

before(async () => {
  pki = await createRunPki({ clientSpiffeId: 'spiffe://example.org/client', trustedCa: 'generate', serverHosts: loopbackHosts });
  client = await pki.issue(pki.validClientTemplate());
});

after(async () => Promise.all(servers.map((s) => s.close())));

async function serverWith(misbehaviour: Http2Misbehaviour): Promise<RunningHostileHttp2> {
  assert.ok(pki.server);
  const server = await startHostileHttp2({ certPem: pki.server.certPem, keyPem: pki.server.keyPem, misbehaviour });
  servers.push(server);
  return server;
}

interface Answer {
  status?: number;
  retryAfter?: string;
  body: string;
  /** RST_STREAM code, when the stream was reset. */
  rstCode: number;
  goaway?: { code: number; lastStreamId: number };
  headersAfterMs?: number;
}

/** One GET /hello on a new connection, as each harness probe does; bounded by `timeoutMs`. */
function get(server: RunningHostileHttp2, timeoutMs = 3000): Promise<Answer> {
  return new Promise((resolve) => {
    const started = performance.now();
    const answer: Answer = { body: '', rstCode: 0 };
    const session = http2.connect(server.url, { ca: pki.trustedCa?.certPem, cert: client.certPem, key: client.keyPem, rejectUnauthorized: false });
    session.on('error', () => undefined);
    session.once('goaway', (code: number, lastStreamId: number) => (answer.goaway = { code, lastStreamId }));
    const finish = (): void => {
      clearTimeout(timer);
      session.destroy();
      resolve(answer);
    };
    const timer = setTimeout(finish, timeoutMs);
    const stream = session.request({ ':path': '/hello' });
    stream.on('error', () => undefined);
    stream.once('response', (headers) => {
      answer.headersAfterMs = performance.now() - started;
      answer.status = Number(headers[':status']);
      const retry = headers['retry-after'];
      if (typeof retry === 'string') answer.retryAfter = retry;
    });
    stream.on('data', (chunk: Buffer) => (answer.body += chunk.toString()));
    stream.once('close', () => {
      answer.rstCode = stream.rstCode ?? 0;
      // A GOAWAY may arrive just after the stream closes: give it a turn of the loop.
      setImmediate(finish);
    });
  });
}

describe('hostile HTTP/2 servers', { concurrency: 3 }, () => {
  it('none: any client certificate gets 200', async () => {
    const answer = await get(await serverWith({ kind: 'none' }));
    assert.equal(answer.status, 200);
    assert.match(answer.body, /hello/);
  });

  it('goaway: the first connection is served, later ones get GOAWAY NO_ERROR with last stream 0 and no response', async () => {
    const server = await serverWith({ kind: 'goaway', after: 1 });
    assert.equal((await get(server)).status, 200);
    const second = await get(server);
    assert.equal(second.status, undefined);
    assert.deepEqual(second.goaway, { code: http2.constants.NGHTTP2_NO_ERROR, lastStreamId: 0 });
  });

  it('refused-stream: after the first request, RST_STREAM REFUSED_STREAM', async () => {
    const server = await serverWith({ kind: 'refused-stream', after: 1 });
    assert.equal((await get(server)).status, 200);
    const second = await get(server);
    assert.equal(second.status, undefined);
    assert.equal(second.rstCode, http2.constants.NGHTTP2_REFUSED_STREAM);
  });

  for (const status of [400, 429, 503] as const) {
    it(`shed-status ${status}: after the first request${status === 400 ? '' : ', with retry-after'}`, async () => {
      const server = await serverWith({ kind: 'shed-status', status, after: 1 });
      assert.equal((await get(server)).status, 200);
      const second = await get(server);
      assert.equal(second.status, status);
      assert.equal(second.retryAfter, status === 400 ? undefined : '1');
    });
  }

  it('slow-body: 200 at once, the body still trickling when the client gives up', async () => {
    const answer = await get(await serverWith({ kind: 'slow-body', byteEveryMs: 100, bytes: 50 }), 800);
    assert.equal(answer.status, 200);
    assert.ok((answer.headersAfterMs ?? Infinity) < 500, `headers after ${answer.headersAfterMs} ms`);
    assert.ok(answer.body.length > 0 && answer.body.length < 50, `${answer.body.length} bytes in 800 ms`);
  });
});
