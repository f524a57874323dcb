#!/usr/bin/env node
// mtlspec's command line. The build (`make build`, or `npm ci`) bundles the
// compiled CLI into one file, dist/mtlspec.cjs, and makes a V8 code cache for
// it (scripts/bundle-cli.ts says why). This file only loads the two; all
// the CLI's logic is in src/cli/main.ts.
import { generateKeyPair } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const bundle = path.join(dist, 'mtlspec.cjs');
const args = process.argv.slice(2);

/**
 * A run against the built-in servers needs one RSA-2048 key (~200 ms): the
 * thread pool makes it on the other core while the bundle loads. Runs
 * against --target make theirs only if a case needs one.
 */
function prewarmRsa2048() {
  const builtInServers = args[0] === 'run' && !args.some((arg) => arg === '--target' || arg.startsWith('--target=')) && !process.env.MTLSPEC_TARGET;
  if (!builtInServers) return undefined;
  return new Promise((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: 2048 }, (error, publicKey, privateKey) => (error ? reject(error) : resolve({ publicKey, privateKey }))),
  );
}

/**
 * Loads the bundle as Node loads a CommonJS module, but through vm.Script so
 * V8 can use the code cache. The cache belongs to one build of the bundle:
 * the build ends the bundle with a line naming its content hash, and the
 * cache file carries that hash in its name, so a rebuilt bundle never meets
 * an old cache (npm resets file times, so they could not serve). The build
 * writes the cache (WRITE_MTLSPEC_CODE_CACHE=1: not MTLSPEC_*, which are run
 * settings); runs only read it.
 */
function loadBundle() {
  let source;
  try {
    source = readFileSync(bundle, 'utf8');
  } catch {
    process.stderr.write(`mtlspec: ${bundle} is missing: build it first (npm ci, or make build)\n`);
    process.exit(4);
  }
  const id = /\/\/# mtlspec-bundle (\w+)\n$/.exec(source.slice(-64))?.[1];
  const cacheFile = id ? `${bundle}.${id}.v8-cache` : undefined;
  const writeCache = process.env.WRITE_MTLSPEC_CODE_CACHE === '1' && cacheFile;
  let cachedData;
  if (cacheFile && !writeCache) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      // No cache: the bundle still runs, only its functions compile as they are first called.
    }
  }
  const wrapper = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new vm.Script(wrapper, {
    filename: bundle,
    ...(cachedData ? { cachedData } : {}),
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dist);
  if (writeCache) {
    // At exit V8 has compiled every function the run called; written whole, then renamed into place.
    process.once('exit', () => {
      writeFileSync(`${cacheFile}.tmp`, script.createCachedData());
      renameSync(`${cacheFile}.tmp`, cacheFile);
    });
  }
  return module.exports;
}

const prewarmedRsa2048 = prewarmRsa2048();
await loadBundle().runCli(args, prewarmedRsa2048 ? { prewarmedRsa2048 } : {});
