import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type http from 'node:http';
import { checkBackend } from '../src/proxy/backend-check.js';
import { forgedName, mintForgedIdentity, type ForgedIdentity } from '../src/proxy/identity-headers.js';
import { forgedProxyV2Header, readProxyV2Header } from '../src/proxy/proxy-v2.js';
import { identityHeaderBackend } from '../src/proxy/terminating-proxy.js';
import { createRunPki } from '../src/pki/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, startCli } from './support/cli.js';
import { readRunResults } from './support/records.js';

/**
 * --backend: the service behind a proxy, tried directly. Two loopback
 * backends that each trust what they must not: one the X-SSL-Client-Cert
 * header from anyone, one a PROXY v2 header from anyone.
 */
let forged: ForgedIdentity;
let headerBackend: http.Server;
let proxyV2Backend: net.Server;
const urlOf = (server: net.Server, scheme = 'http'): string => {
  const address = server.address();
  return `${scheme}://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hello`;
};
const listen = (server: net.Server): Promise<void> => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve()));

before(async () => {
  const pki = await createRunPki({ clientSpiffeId: 'spiffe://example.org/client', trustedCa: 'none' });
  forged = await mintForgedIdentity(pki, 'spiffe://example.org/client', undefined);
  headerBackend = identityHeaderBackend();
  // Serves whoever its PROXY v2 header says verified, as a backend behind `send-proxy-v2-ssl-cn` would.
  proxyV2Backend = net.createServer((socket) => {
    socket.on('error', () => undefined);
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      // Answer once the request's head is in, after the preamble: the client writes the two apart.
      if (!received.includes('\r\n\r\n', readProxyV2Header(received)?.length ?? 0) || received.length > 65_536) return;
      const header = readProxyV2Header(received);
      const caller = header?.verified ? header.clientCn : undefined;
      const body = caller ? `{"caller":"${caller}"}` : '{"error":"who are you"}';
      socket.end(`HTTP/1.1 ${caller ? '200 OK' : '403 Forbidden'}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
    });
  });
  await Promise.all([listen(headerBackend), listen(proxyV2Backend)]);
});
after(() => {
  headerBackend.closeAllConnections();
  headerBackend.close();
  proxyV2Backend.close();
});

const statuses = (checks: ReadonlyArray<{ id: string; status: string }>): Record<string, string> => Object.fromEntries(checks.map((c) => [c.id, c.status]));

describe('--backend: straight to the service behind the proxy', () => {
  it('a PROXY v2 header claims a verified client certificate in its SSL TLV', () => {
    const header = forgedProxyV2Header({ source: { address: '127.0.0.1', port: 50000 }, destination: { address: '127.0.0.1', port: 8080 }, clientCn: forgedName });
    assert.deepEqual(readProxyV2Header(Buffer.concat([header, Buffer.from('GET / HTTP/1.1\r\n')])), { length: header.length, verified: true, clientCn: forgedName });
    assert.equal(readProxyV2Header(Buffer.from('GET / HTTP/1.1\r\n\r\n')), undefined);
    const v6 = forgedProxyV2Header({ source: { address: '127.0.0.1', port: 1 }, destination: { address: '::1', port: 2 }, clientCn: 'x' });
    assert.equal(readProxyV2Header(v6)?.clientCn, 'x');
  });

  it('fails the forged header the backend believes, and says nothing of PROXY v2 it does not read', async () => {
    const checks = statuses(await checkBackend({ url: urlOf(headerBackend), timeoutMs: 2000, forged }));
    assert.equal(checks['backend/no-identity'], 'passed');
    assert.equal(checks['backend/forged/ssl-client-cert'], 'failed');
    assert.equal(checks['backend/forged/xfcc'], 'passed');
    assert.equal(checks['backend/proxy-v2'], 'skipped');
  });

  it('fails a backend that takes a PROXY v2 header from this host', async () => {
    const checks = await checkBackend({ url: urlOf(proxyV2Backend), timeoutMs: 2000, forged });
    const proxyV2 = checks.find((c) => c.id === 'backend/proxy-v2');
    assert.equal(proxyV2?.status, 'failed');
    assert.match(proxyV2?.why ?? '', /answered as the forged identity .* a PROXY v2 header from anyone/);
    assert.equal(statuses(checks)['backend/no-identity'], 'passed');
  });

  it('is inconclusive, within the timeout, when nothing answers', async () => {
    const closed = net.createServer();
    await listen(closed);
    const url = urlOf(closed);
    closed.close();
    const started = performance.now();
    const checks = await checkBackend({ url, timeoutMs: 500, forged });
    assert.ok(performance.now() - started < 11 * 500 + 1000);
    assert.deepEqual([...new Set(checks.filter((c) => c.id !== 'backend/proxy-v2').map((c) => c.status))], ['inconclusive']);
    assert.equal(statuses(checks)['backend/proxy-v2'], 'skipped');
  });
});

describe('mtlspec run --backend', () => {
  it('prints each direct check after the scenarios, fails the run on a believed header, and keeps them in results.json', async () => {
    const reportDir = mkdtempSync(path.join(tmpdir(), 'mtlspec-backend-test-'));
    const server = startCli(['serve', 'http2']);
    try {
      const [, url = ''] = await server.waitFor(/listening on (https:\/\/\S+)/);
      const [, pki = ''] = await server.waitFor(/PKI in (\S+) \(removed when the server stops\)/);
      const file = (name: string): string => path.join(pki, name);
      const run = await runCli(['run', '--target', url, '--ca-cert', file('ca.pem'), '--ca-key', file('ca.key'), '--server-ca', file('ca.pem'), '--case', 'x509/valid', '--backend', urlOf(headerBackend), '--report-dir', reportDir]);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(run.stdout, /straight to the backend http:\/\/127\.0\.0\.1:\d+\/hello \(--backend\), without the proxy:\n {2}PASS +backend\/no-identity/);
      assert.match(run.stdout, /FAIL +backend\/forged\/ssl-client-cert: the backend answered as the forged identity/);
      assert.match(run.stdout, /1 scenarios: 1 passed/);
      assert.equal(readRunResults(reportDir)?.backendChecks?.length, 11);
      const bad = await runCli(['run', '--target', url, '--ca-cert', file('ca.pem'), '--ca-key', file('ca.key'), '--backend', 'ftp://x/']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--backend "ftp:\/\/x\/" is ftp:\/\/; the backend is tried over http:\/\/ or https:\/\//);
    } finally {
      await server.stop('SIGTERM');
      rmSync(reportDir, { recursive: true, force: true });
    }
  });
});
