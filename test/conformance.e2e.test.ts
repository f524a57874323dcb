import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { failingScenarios, runCli, scenarioLines, type CliRun } from './support/cli.js';

/**
 * The harness tests itself: the suite must pass on the correct reference
 * servers, and fail exactly the scenarios each deliberate flaw should fail.
 */
const reportRoot = mkdtempSync(path.join(tmpdir(), 'mtlspec-e2e-'));
after(() => rmSync(reportRoot, { recursive: true, force: true }));


describe('make conformance on the reference servers', () => {
  it('passes every scenario, exits 0 and writes the three reports', async () => {
    const reportDir = path.join(reportRoot, 'correct');
    // A temp folder of the run's own, so other processes' temp files cannot blur the check.
    const runTmp = mkdtempSync(path.join(reportRoot, 'tmp-'));
    // Watched while the run goes, not only looked at after: a key file written and removed again is still a key on disk.
    const created: string[] = [];
    const watcher = watch(runTmp, (_event, name) => created.push(String(name)));
    let run: CliRun;
    try {
      run = await runCli(['run', '--report-dir', reportDir, '--log-level', 'debug', '--log-format', 'json'], { env: { TMPDIR: runTmp } });
    } finally {
      watcher.close();
    }
    assert.deepEqual(created, [], 'the run writes no PKI file: every key stays in memory');
    assert.deepEqual(readdirSync(runTmp), []);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /mtlspec: 187 scenarios: \d+ passed \(\+\d+ passed with a SHOULD warning\), 0 failed, 0 inconclusive, 15 informational in [\d.]+ s/);
    assert.equal(scenarioLines(run.stdout).length, 187, 'a line per scenario, so the check below means something');
    assert.deepEqual(failingScenarios(run.stdout), []);
    for (const file of ['conformance.html', 'junit.xml', 'messages.ndjson']) {
      assert.ok(existsSync(path.join(reportDir, file)), `${file} written`);
    }
    const junit = readFileSync(path.join(reportDir, 'junit.xml'), 'utf8');
    assert.match(junit, /tests="187"/);
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

// Flawed servers: test/detection-matrix.test.ts runs the catalogue against every one.

describe('selecting cases', () => {
  it('--case takes an id or a prefix, as h2spec does', async () => {
    const run = await runCli(['run', '--case', 'x509/validity', '--case', 'tls/no-client-cert', '--report-dir', path.join(reportRoot, 'selected')]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const ran = scenarioLines(run.stdout).map((l) => `${l.caseId}@${l.target}`).sort();
    const expected = ['tls/no-client-cert', 'x509/validity/expired', 'x509/validity/expires-soon', 'x509/validity/not-yet-valid']
      .flatMap((id) => ['grpc', 'http2', 'tls'].map((p) => `${id}@${p}`))
      .sort();
    assert.deepEqual(ran, expected);
  });
});

describe('never a false pass', () => {
  it('a target that never answers in time is inconclusive everywhere, and exits 3', async () => {
    // 1 ms is far below one TLS handshake, so no probe can get an answer.
    const run = await runCli(['run', '--timeout', '1', '--report-dir', path.join(reportRoot, 'slow')]);
    assert.equal(run.code, 3, run.stdout + run.stderr);
    assert.match(run.stdout, /187 scenarios: 0 passed, 0 failed, 187 inconclusive/);
  });

  it('a bad flag is one line on stderr and exit 2', async () => {
    const run = await runCli(['run', '--flaw', 'nonsense']);
    assert.equal(run.code, 2);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /^mtlspec: .*nonsense/);
  });
});
