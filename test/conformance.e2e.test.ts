import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { failingScenarios, runCli } from './support/cli.js';

/**
 * The harness tests itself: the suite must pass on the correct reference
 * servers, and fail exactly the scenarios each deliberate flaw should fail.
 */
const reportRoot = mkdtempSync(path.join(tmpdir(), 'mtlspec-e2e-'));
after(() => rmSync(reportRoot, { recursive: true, force: true }));

/** The private directories runs keep their keys in; each run must remove its own. */
const runPkiDirs = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith('mtlspec-pki-'));

const everyProtocol = (ids: string[]): string[] => ids.flatMap((id) => [`${id}@grpc`, `${id}@http2`, `${id}@tls`]).sort();

describe('make conformance on the reference servers', () => {
  it('passes every scenario, exits 0 and writes the three reports', async () => {
    const reportDir = path.join(reportRoot, 'correct');
    const pkiDirsBefore = runPkiDirs();
    const run = await runCli(['run', '--report-dir', reportDir]);
    assert.deepEqual(runPkiDirs(), pkiDirsBefore, 'the run removes its private PKI directory');
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /mtlspec: 24 scenarios: 24 passed, 0 failed, 0 inconclusive in [\d.]+ s/);
    assert.deepEqual(failingScenarios(run.stdout), []);
    for (const file of ['conformance.html', 'junit.xml', 'messages.ndjson']) {
      assert.ok(existsSync(path.join(reportDir, file)), `${file} written`);
    }
    const junit = readFileSync(path.join(reportDir, 'junit.xml'), 'utf8');
    assert.match(junit, /tests="24"/);
    assert.match(junit, /failures="0"/);
  });

  it('never writes a private key into a report', () => {
    const reportDir = path.join(reportRoot, 'correct');
    for (const file of readdirSync(reportDir)) {
      const text = readFileSync(path.join(reportDir, file), 'utf8');
      assert.doesNotMatch(text, /PRIVATE KEY/, `${file} holds no private key`);
      assert.match(text, /BEGIN CERTIFICATE|mtlspec/, `${file} has content`);
    }
  });
});

describe('the harness catches flawed servers', () => {
  it('accept-any-cert fails exactly the certificate checks, on every protocol, and exits 1', async () => {
    const run = await runCli(['run', '--flaw', 'accept-any-cert', '--report-dir', path.join(reportRoot, 'any')]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.deepEqual(
      failingScenarios(run.stdout),
      everyProtocol(['tls/no-client-cert', 'x509/chain/untrusted-ca', 'x509/chain/self-signed', 'x509/usage/eku-server-auth-only', 'x509/validity/expired']),
    );
    assert.match(run.stdout, /24 scenarios: 9 passed, 15 failed, 0 inconclusive/);
  });

  it('allow-tls12 fails exactly the TLS 1.2 scenario, on every protocol, and exits 1', async () => {
    const run = await runCli(['run', '--flaw', 'allow-tls12', '--report-dir', path.join(reportRoot, 'tls12')]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.deepEqual(failingScenarios(run.stdout), everyProtocol(['tls/version/tls12']));
  });
});

describe('never a false pass', () => {
  it('a target that never answers in time is inconclusive everywhere, and exits 3', async () => {
    // 1 ms is far below one TLS handshake, so no probe can get an answer.
    const run = await runCli(['run', '--timeout', '1', '--report-dir', path.join(reportRoot, 'slow')]);
    assert.equal(run.code, 3, run.stdout + run.stderr);
    assert.match(run.stdout, /24 scenarios: 0 passed, 0 failed, 24 inconclusive/);
  });

  it('a bad flag is one line on stderr and exit 2', async () => {
    const run = await runCli(['run', '--flaw', 'nonsense']);
    assert.equal(run.code, 2);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /^mtlspec: .*nonsense/);
  });
});
