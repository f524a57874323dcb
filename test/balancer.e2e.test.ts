import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { proxyCases } from '../fixtures/proxy-cases.js';
import { referenceEchoPattern } from '../src/proxy/identity-echo.js';
import { packageRoot } from '../src/paths.js';
import { accepts } from '../src/proxy/haproxy.js';
import { failingScenarios, runCli, scenarioLines, startCli, type LongRunningCli } from './support/cli.js';
import { ensureCommand } from './support/ensure-package.js';
import { readRunResults } from './support/records.js';

/**
 * Three reference HTTP/2 replicas behind a real HAProxy in `mode tcp`, round
 * robin (`mtlspec serve http2 --replicas 3`), probed through the balancer as
 * a user's target. All correct: the run passes with --repeat 3. One replica
 * that accepts any certificate: with --repeat 3 every case that catches
 * accept-any-cert on a single server fails, saying one connection of three
 * got through. (Without --repeat a run may miss it: that is the point, and
 * not asserted.)
 */
const reportRoot = mkdtempSync(path.join(tmpdir(), 'mtlspec-balancer-test-'));
const servers: LongRunningCli[] = [];
before(() => ensureCommand('haproxy', 'haproxy'));
after(async () => {
  // SIGTERM: serve stops HAProxy with the replicas (a SIGKILL would leave HAProxy running).
  await Promise.all(servers.map((s) => s.stop('SIGTERM')));
  rmSync(reportRoot, { recursive: true, force: true });
});

/**
 * The cases that catch accept-any-cert on the built-in HTTP/2 server, as
 * docs/detection-matrix.md records them (test/detection-matrix.test.ts keeps
 * it true), but the revocation case, which an external run skips without
 * --target-has-crl; and, since --identity-echo runs the forged-header cases,
 * those that present no certificate.
 */
function catchingAcceptAnyCert(): string[] {
  const lines = readFileSync(path.join(packageRoot, 'docs/detection-matrix.md'), 'utf8').split('\n');
  const header = lines.find((l) => l.startsWith('| case |'))?.split('|').map((c) => c.trim()) ?? [];
  const column = header.indexOf('`accept-any-cert`');
  assert.ok(column > 0, 'the detection matrix has an accept-any-cert column');
  const fromMatrix = lines
    .map((l) => l.split('|').map((c) => c.trim()))
    .filter((cells) => /\bhttp2\b/.test(cells[column] ?? '') && (cells[column] ?? '').startsWith('**caught**'))
    .map((cells) => (cells[1] ?? '').replace(/`/g, ''))
    .filter((id) => id !== 'x509/revocation/revoked');
  const forgedWithoutCertificate = proxyCases.filter((c) => c.credential.kind === 'none').map((c) => c.id);
  return [...fromMatrix, ...forgedWithoutCertificate].map((id) => `${id}@http2`).sort();
}

async function serveBalanced(flags: readonly string[]): Promise<string[]> {
  const server = startCli(['serve', 'http2', '--replicas', '3', ...flags]);
  servers.push(server);
  const [, url = ''] = await server.waitFor(/listening on (https:\/\/\S+)/);
  const [, pki = ''] = await server.waitFor(/PKI in (\S+) \(removed when the server stops\)/);
  await server.waitFor(/Ctrl-C stops it/);
  assert.match(server.output(), /HAProxy \S+, mode tcp \(TLS passed through\), round robin over 3 replicas/);
  const file = (name: string): string => path.join(pki, name);
  return ['run', '--target', url, '--ca-cert', file('ca.pem'), '--ca-key', file('ca.key'), '--server-ca', file('ca.pem'), '--spiffe-id', 'spiffe://example.org/client', '--identity-echo', referenceEchoPattern];
}

describe('behind a layer-4 balancer (HAProxy mode tcp, 3 replicas)', { concurrency: 1 }, () => {
  it('a serve killed with SIGKILL, which no handler sees, takes its HAProxy with it', async () => {
    const server = startCli(['serve', 'http2', '--replicas', '2']);
    servers.push(server);
    const [, port = ''] = await server.waitFor(/listening on https:\/\/127\.0\.0\.1:(\d+)\//);
    await server.waitFor(/Ctrl-C stops it/);
    assert.equal(await accepts('127.0.0.1', Number(port)), true, 'HAProxy listens');
    await server.stop('SIGKILL');
    let listening = true;
    // At most 3 s: the watchdog shell sees its stdin close at once.
    for (let i = 0; i < 30 && listening; i++) {
      listening = await accepts('127.0.0.1', Number(port));
      if (listening) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(listening, false, 'nothing listens on the balancer port any more');
  });

  it('all replicas correct: passes with --repeat 3, sees three backends, and the identity reaches the application', async (t) => {
    const run = await serveBalanced([]);
    const single = await runCli([...run, '--report-dir', path.join(reportRoot, 'single')], 120_000);
    assert.equal(single.code, 0, single.stdout + single.stderr);
    // One control per refused case, round robin: the controls alone meet every replica's own certificate.
    assert.match(single.stdout, /answered by 3 different server certificates .*several backends behind one address; a single probe per case reaches one of them: --repeat 3/);
    const repeated = await runCli([...run, '--repeat', '3', '--report-dir', path.join(reportRoot, 'repeat')], 180_000);
    assert.equal(repeated.code, 0, repeated.stdout + repeated.stderr);
    assert.match(repeated.stdout, /PASS\s+lb\/identity-survives over http2/);
    assert.match(repeated.stdout, /each case was probed on 3 connections \(--repeat 3\)/);
    assert.deepEqual(scenarioLines(repeated.stdout).filter((l) => l.mark === 'FAIL'), []);
    const results = readRunResults(path.join(reportRoot, 'repeat'));
    const control = results?.scenarios.find((s) => s.record?.caseId === 'x509/valid')?.record?.probe;
    assert.equal(new Set(control?.connections?.map((c) => c.serverCertificate)).size, 3, 'the valid case met three server certificates on its three connections');
    const singleMs = readRunResults(path.join(reportRoot, 'single'))?.wallMs ?? 0;
    const repeatMs = results?.wallMs ?? 0;
    t.diagnostic(`cost of --repeat 3: ${repeatMs} ms vs ${singleMs} ms for a single run, ratio ${(repeatMs / Math.max(1, singleMs)).toFixed(2)}`);
  });

  it('one replica accepts any certificate: --repeat 3 fails every case that catches it, on one connection of three', async () => {
    const run = await serveBalanced(['--flaw', 'accept-any-cert', '--flawed-replicas', '1']);
    const repeated = await runCli([...run, '--repeat', '3', '--report-dir', path.join(reportRoot, 'flawed')], 180_000);
    assert.equal(repeated.code, 1, repeated.stdout + repeated.stderr);
    const catchAcceptAnyCert = catchingAcceptAnyCert();
    assert.ok(catchAcceptAnyCert.length >= 20, catchAcceptAnyCert.join(' '));
    assert.deepEqual(failingScenarios(repeated.stdout), catchAcceptAnyCert);
    const results = readRunResults(path.join(reportRoot, 'flawed'));
    const failed = results?.scenarios.filter((s) => s.status === 'failed') ?? [];
    assert.equal(failed.length, catchAcceptAnyCert.length);
    for (const s of failed) assert.match(s.why, /^accepted on 1 of 3 connections: a backend behind the balancer does not enforce this/, s.name);
    assert.equal(scenarioLines(repeated.stdout).filter((l) => l.mark === 'INCONCLUSIVE').length, 0, repeated.stdout);
  });
});
