import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { packageRoot } from '../src/paths.js';

/**
 * The CLI runs as one bundle with a V8 code cache (scripts/bundle-cli.ts,
 * bin/mtlspec.js). A cache V8 rejects costs every run ~0.2 s without a word,
 * so the build's output is checked here the way bin/mtlspec.js loads it.
 */
const bundle = path.join(packageRoot, 'dist/mtlspec.cjs');

describe('the bundled CLI', () => {
  it('ends with its content id, and the code cache named by it is one V8 accepts', () => {
    const source = readFileSync(bundle, 'utf8');
    const id = /\/\/# mtlspec-bundle ([0-9a-f]{16})\n$/.exec(source)?.[1];
    assert.ok(id, 'the last line names the bundle id');
    const cacheFile = `${bundle}.${id}.v8-cache`;
    assert.ok(existsSync(cacheFile), `${cacheFile} exists`);
    const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
      filename: bundle,
      cachedData: readFileSync(cacheFile),
    });
    assert.equal(script.cachedDataRejected, false);
  });

  it('without a build, says so in one line and exits 4', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'mtlspec-unbuilt-'));
    try {
      mkdirSync(path.join(root, 'bin'));
      copyFileSync(path.join(packageRoot, 'bin/mtlspec.js'), path.join(root, 'bin/mtlspec.mjs'));
      const run = spawnSync(process.execPath, [path.join(root, 'bin/mtlspec.mjs'), 'run'], { encoding: 'utf8', timeout: 15_000 });
      assert.equal(run.status, 4);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /^mtlspec: .*dist\/mtlspec\.cjs is missing: build it first \(npm ci, or make build\)\n$/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
