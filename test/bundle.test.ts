import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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

  it('runs when installed into another project, with its dependencies beside it rather than inside it', () => {
    // The layout npm makes: <project>/node_modules/mtlspec, and cucumber, yargs, grpc-js... next to it.
    const project = mkdtempSync(path.join(tmpdir(), 'mtlspec-installed-'));
    try {
      const installed = path.join(project, 'node_modules/mtlspec');
      for (const entry of ['package.json', 'bin', 'features', 'proto']) cpSync(path.join(packageRoot, entry), path.join(installed, entry), { recursive: true });
      mkdirSync(path.join(installed, 'dist'));
      for (const file of readdirSync(path.join(packageRoot, 'dist')).filter((f) => f.startsWith('mtlspec.cjs'))) {
        copyFileSync(path.join(packageRoot, 'dist', file), path.join(installed, 'dist', file));
      }
      for (const dependency of readdirSync(path.join(packageRoot, 'node_modules')).filter((d) => !d.startsWith('.'))) {
        symlinkSync(path.join(packageRoot, 'node_modules', dependency), path.join(project, 'node_modules', dependency));
      }
      // The project's own package.json must not be taken for mtlspec's.
      writeFileSync(path.join(project, 'package.json'), '{ "name": "someone-else", "version": "9.9.9" }\n');
      const cli = path.join(installed, 'bin/mtlspec.js');
      const version = spawnSync(process.execPath, [cli, '--version'], { cwd: project, encoding: 'utf8', timeout: 15_000 });
      assert.equal(version.stdout, `${JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')).version}\n`);
      const reports = path.join(project, 'reports');
      const run = spawnSync(process.execPath, [cli, 'run', '--case', 'x509/valid', '--quiet', '--report-dir', reports], { cwd: project, encoding: 'utf8', timeout: 60_000 });
      assert.equal(run.status, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /3 scenarios: 3 passed, 0 failed/);
      assert.match(readFileSync(path.join(reports, 'conformance.html'), 'utf8'), /<html/i);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
