import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { currentOwner, ownerMayBeAlive, parseOwner } from '../src/process-owner.js';
import { inputSizeCap, pipeDeadlineMs, readInputFile } from '../src/run/read-input.js';

const root = mkdtempSync(path.join(tmpdir(), 'mtlspec-read-input-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

function mkfifo(name: string): string {
  const fifo = path.join(root, name);
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  return fifo;
}

describe('readInputFile', () => {
  it('reads a regular file, and one of exactly the cap', () => {
    const file = path.join(root, 'ok.pem');
    writeFileSync(file, 'hello\n');
    assert.equal(readInputFile(file), 'hello\n');
    const atCap = path.join(root, 'at-cap');
    writeFileSync(atCap, Buffer.alloc(inputSizeCap, 0x41));
    assert.equal(readInputFile(atCap).length, inputSizeCap);
  });

  it('refuses one byte more, a directory, a device, a missing file', () => {
    const over = path.join(root, 'over-cap');
    writeFileSync(over, Buffer.alloc(inputSizeCap + 1, 0x41));
    assert.throws(() => readInputFile(over), /is larger than 1 MiB/);
    assert.throws(() => readInputFile(root), /^Error: is a directory$/);
    assert.throws(() => readInputFile('/dev/zero'), /is a device, not a file/);
    assert.throws(() => readInputFile(path.join(root, 'nope')), /does not exist/);
  });

  it('a FIFO with no writer gives up after the deadline instead of blocking', () => {
    const started = Date.now();
    assert.throws(() => readInputFile(mkfifo('lonely')), /is a pipe \(FIFO\) that nothing wrote to within 3 s/);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= pipeDeadlineMs - 50 && elapsed < pipeDeadlineMs + 2000, `${elapsed} ms`);
  });

  it('a FIFO whose writer never ends, or writes without end, is bounded too', async () => {
    const silent = mkfifo('silent');
    const holder = spawn('sh', ['-c', 'exec 3>"$1"; exec sleep 30', 'sh', silent], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.throws(() => readInputFile(silent), /is a pipe that did not end within 3 s/);
    } finally {
      holder.kill();
    }
    const endless = mkfifo('endless');
    const yes = spawn('sh', ['-c', 'exec yes > "$1"', 'sh', endless], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.throws(() => readInputFile(endless), /is larger than 1 MiB/);
    } finally {
      yes.kill();
    }
  });
});

describe('process owners', () => {
  it('this process is alive; a pid that cannot exist, another boot, or a reused pid is not', () => {
    const me = currentOwner();
    assert.equal(ownerMayBeAlive(me), true);
    assert.deepEqual(parseOwner(JSON.stringify(me)), me);
    assert.equal(ownerMayBeAlive({ ...me, pid: 4194305 }), false);
    if (me.bootId !== null) assert.equal(ownerMayBeAlive({ ...me, bootId: 'another-boot' }), false);
    if (me.startTicks !== null) assert.equal(ownerMayBeAlive({ ...me, startTicks: me.startTicks + 1 }), false, 'same pid, other start: reused');
  });

  it("another host's process cannot be checked, so it counts as alive; garbage is no owner", () => {
    assert.equal(ownerMayBeAlive({ pid: 4194305, host: `not-${hostname()}`, startTicks: null, bootId: null }), true);
    for (const text of ['', 'null', '{"pid":"1"}', '{"pid":-3,"host":"h"}', 'not json']) assert.equal(parseOwner(text), undefined, text);
  });
});
