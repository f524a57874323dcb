import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { failingScenarios, runCli, startCli, type LongRunningCli } from './support/cli.js';

/**
 * `mtlspec serve` prints a URL, a PKI and a ready `mtlspec run` line; a
 * person copies that line. So does this test, then stops the server.
 */
const reportRoot = mkdtempSync(path.join(tmpdir(), 'mtlspec-serve-test-'));
const servers: LongRunningCli[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop('SIGKILL')));
  rmSync(reportRoot, { recursive: true, force: true });
});

/** The printed `npx mtlspec run ...` line, as CLI arguments (it quotes only the --send text). */
function printedRunArguments(output: string): string[] {
  const line = output.split('\n').find((l) => l.trim().startsWith('npx mtlspec run'));
  assert.ok(line, `serve printed a run line:\n${output}`);
  const send = line.match(/--send "([^"]*)"/)?.[1];
  const words = line.replace(/--send "[^"]*"/, '').trim().split(/\s+/).slice(2);
  return send === undefined ? words : [...words, '--send', send];
}

describe('mtlspec serve', { concurrency: 2 }, () => {
  it('a --pki-dir that cannot be made (under /proc) is one line and exit 2, not a hang', async () => {
    const run = await runCli(['serve', 'http2', '--pki-dir', '/proc/mtlspec-no-such/pki'], 15_000);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /^mtlspec: cannot write the PKI to \/proc\/mtlspec-no-such\/pki: ENOENT[^\n]*\n$/);
  });

  it('serves raw TLS; its printed run line passes every case; SIGTERM stops it and removes its PKI', async () => {
    const server = startCli(['serve', 'tls']);
    servers.push(server);
    const [, pkiDir = ''] = await server.waitFor(/PKI in (\S+) \(removed when the server stops\)/);
    await server.waitFor(/Ctrl-C stops it/);
    const run = await runCli([...printedRunArguments(server.output()), '--report-dir', path.join(reportRoot, 'tls')]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    // Everything runs but the CRL case and the server-SPIFFE-ID case, which the printed line does not enable.
    assert.match(run.stdout, /46 scenarios: \d+ passed( \(\+\d+ passed with a SHOULD warning\))?, 0 failed, 0 inconclusive, 2 skipped, 5 informational in/);
    assert.match(run.stdout, /SKIP\s+x509\/revocation\/revoked over tls/);
    assert.match(run.stdout, /x509\/valid over tls/);
    // 128 + 15: stopped by the signal, as a shell reports it, after a clean stop.
    assert.equal(await server.stop('SIGTERM'), 143);
    assert.match(server.output(), /stopped \(SIGTERM\)/);
    assert.equal(existsSync(pkiDir), false, 'the private PKI folder is gone');
  });

  it('a flawed server fails exactly its flaw when run through its printed line', async () => {
    const server = startCli(['serve', 'grpc', '--flaw', 'allow-tls12']);
    servers.push(server);
    await server.waitFor(/Ctrl-C stops it/);
    assert.match(server.output(), /listening on grpcs:\/\/127\.0\.0\.1:\d+\/mtlspec\.demo\.DemoService\/SayHello \(flawed: allow-tls12\)/);
    const run = await runCli([...printedRunArguments(server.output()), '--report-dir', path.join(reportRoot, 'grpc')]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.deepEqual(failingScenarios(run.stdout), ['tls/version/tls12-cbc-suites@grpc', 'tls/version/tls12@grpc']);
    assert.equal(await server.stop('SIGINT'), 130);
  });
});
