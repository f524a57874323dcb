import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, startCli, type LongRunningCli } from './support/cli.js';

/**
 * What a run or a server leaves on disk when it is stopped: nothing, whether
 * it ends normally or by SIGINT, SIGTERM or SIGHUP; and what a SIGKILL leaves
 * is removed by the next run, never a folder a live process still uses.
 * Each test gives its children a temp folder of its own (TMPDIR), so it
 * watches only what they make.
 */
const root = mkdtempSync(path.join(tmpdir(), 'mtlspec-hygiene-test-'));
const started: LongRunningCli[] = [];
after(async () => {
  await Promise.all(started.map((child) => child.stop('SIGKILL')));
  rmSync(root, { recursive: true, force: true });
});

let count = 0;
function freshTmp(): string {
  const dir = path.join(root, `tmp-${++count}`);
  mkdirSync(dir);
  return dir;
}

/** Every file below `dir`, as paths relative to it. */
function filesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const exitCodes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

describe('a run stopped by a signal removes its keys and exits with 128 + the signal', { concurrency: 2 }, () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(signal, async () => {
      const tmp = freshTmp();
      const reports = path.join(tmp, '..', `reports-${signal}`);
      const run = startCli(['run', '--report-dir', reports], { env: { TMPDIR: tmp } });
      started.push(run);
      // Mid-run: a scenario has ended, and the run holds its report-dir lock and staging folder.
      // (A run writes no key file at all: its keys stay in memory; test/conformance.e2e.test.ts watches TMPDIR for that.)
      await run.waitFor(/\[\s*1\/\d+\]/, 20_000);
      await until(() => readdirSync(reports).includes('.mtlspec.lock'), 'the run\'s report-dir lock');
      const code = await run.stop(signal);
      assert.equal(code, exitCodes[signal], run.output() + run.errors());
      assert.match(run.errors(), new RegExp(`stopped by ${signal}`));
      assert.deepEqual(readdirSync(tmp), [], 'nothing is left in the temp folder');
      assert.deepEqual(readdirSync(reports), [], 'no lock, no staging folder, no half-written report');
    });
  }
});

describe('serve stopped by a signal removes its private PKI folder', { concurrency: 3 }, () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(signal, async () => {
      const tmp = freshTmp();
      const server = startCli(['serve', 'http2'], { env: { TMPDIR: tmp } });
      started.push(server);
      const [, pkiDir = ''] = await server.waitFor(/PKI in (\S+) \(removed when the server stops\)/);
      await server.waitFor(/Ctrl-C/);
      assert.ok(pkiDir.startsWith(tmp), `the PKI is in the test's TMPDIR: ${pkiDir}`);
      assert.ok(filesBelow(pkiDir).includes('client.key'), 'the keys are there while it serves');
      assert.equal(await server.stop(signal), exitCodes[signal], server.output() + server.errors());
      assert.match(server.output(), new RegExp(`stopped \\(${signal}\\)`));
      assert.deepEqual(readdirSync(tmp), []);
    });
  }
});

describe('what a SIGKILL leaves behind', () => {
  it('the next run removes a killed process\'s private folder, and leaves a live one\'s alone', async () => {
    const tmp = freshTmp();
    const killed = startCli(['serve', 'tls'], { env: { TMPDIR: tmp } });
    started.push(killed);
    const [, abandoned = ''] = await killed.waitFor(/PKI in (\S+) \(removed/);
    await killed.waitFor(/Ctrl-C/);
    assert.equal(await killed.stop('SIGKILL'), null);
    assert.ok(filesBelow(abandoned).includes('ca.key'), 'SIGKILL left the keys behind');

    const live = startCli(['serve', 'tls'], { env: { TMPDIR: tmp } });
    started.push(live);
    const [, livePki = ''] = await live.waitFor(/PKI in (\S+) \(removed/);
    await live.waitFor(/Ctrl-C/);
    // Not mtlspec's: no owner note, so no sweep may touch it even if its name looks like ours.
    const foreign = path.join(tmp, 'mtlspec-not-ours');
    mkdirSync(foreign);
    writeFileSync(path.join(foreign, 'keep.txt'), 'someone else\'s\n');

    const run = await runCli(['run', '--case', 'x509/valid', '--report-dir', path.join(tmp, '..', 'reports-sweep')], { env: { TMPDIR: tmp } });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(existsSync(abandoned), false, 'the killed server\'s folder is gone');
    assert.ok(filesBelow(livePki).includes('ca.key'), 'the live server\'s folder is intact');
    assert.ok(existsSync(path.join(foreign, 'keep.txt')), 'a folder without an owner note is left alone');
    assert.equal(await live.stop('SIGTERM'), exitCodes.SIGTERM);
    assert.deepEqual(readdirSync(tmp), ['mtlspec-not-ours']);
  });

  it('a run killed mid-way leaves a stale lock that the next run takes over', async () => {
    const tmp = freshTmp();
    const reports = path.join(tmp, '..', 'reports-stale-lock');
    const killed = startCli(['run', '--report-dir', reports], { env: { TMPDIR: tmp } });
    started.push(killed);
    await killed.waitFor(/\[\s*1\/\d+\]/, 20_000);
    assert.equal(await killed.stop('SIGKILL'), null);
    assert.ok(readdirSync(reports).includes('.mtlspec.lock'), 'SIGKILL left the lock');

    const next = await runCli(['run', '--case', 'x509/valid', '--report-dir', reports], { env: { TMPDIR: tmp } });
    assert.equal(next.code, 0, next.stdout + next.stderr);
    assert.deepEqual(readdirSync(reports).sort(), ['conformance.html', 'index.html', 'junit.xml', 'messages.ndjson', 'results.json']);
    assert.deepEqual(readdirSync(tmp), [], 'and the killed run\'s private folder is swept');
  });
});
