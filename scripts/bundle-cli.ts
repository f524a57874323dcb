/**
 * Bundles the compiled CLI (dist/src/cli/main.js and everything it imports,
 * npm packages included) into one file, dist/mtlspec.cjs, then makes the V8
 * code cache bin/mtlspec.js loads it with. Run by `make build` and `npm ci`,
 * after tsc.
 *
 * Why: Node loads an ES module graph file by file (resolve, stat, read,
 * parse, and a CJS export scan for every CommonJS package). For mtlspec's
 * ~250 modules that cost ~0.4 s before the first probe, more than a run of a
 * few cases takes. One file with a code cache loads in a fraction of that
 * (bench/README.md has the figures).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(root, 'dist');
const bundle = path.join(dist, 'mtlspec.cjs');

/**
 * Every bundled file keeps its own location. Packages find files next to
 * themselves (cucumber's HTML report template, grpc-js's protos), cucumber
 * tells its own stack frames from the user's by __filename, yargs finds
 * package.json from import.meta.url, and mtlspec finds features/ and proto/
 * the same way. In one file all of them would name the bundle instead, so
 * each file that uses them gets its original path, relative to where the
 * bundle is at run time.
 */
const ownLocation: Plugin = {
  name: 'own-location',
  setup(esbuild) {
    esbuild.onLoad({ filter: /\.[cm]?js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const usesImportMeta = source.includes('import.meta.url');
      const usesDirname = /\b__(?:dirname|filename)\b/.test(source);
      if (!usesImportMeta && !usesDirname) return undefined;
      const relative = JSON.stringify(path.relative(dist, args.path));
      // import.meta exists only in ES modules, __dirname only in CommonJS ones. An ES module may declare a
      // __dirname of its own (yargs does): renamed, since ES modules share the bundle's top-level scope.
      const contents = usesImportMeta
        ? `var __mtlspecOwnUrl = __mtlspecFileUrl(${relative});\n${source.replaceAll('import.meta.url', '__mtlspecOwnUrl').replace(/\b__(dirname|filename)\b/g, '__own_$1')}`
        : `var __filename = __mtlspecFile(${relative}), __dirname = __mtlspecDir(${relative});\n${source}`;
      return { contents, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

/** Paths relative to the bundle's folder (dist/), as it is wherever the package is installed. */
const bundleHelpers = [
  'const __mtlspecFile = (relative) => require("node:path").join(__dirname, relative);',
  'const __mtlspecDir = (relative) => require("node:path").dirname(__mtlspecFile(relative));',
  'const __mtlspecFileUrl = (relative) => require("node:url").pathToFileURL(__mtlspecFile(relative)).href;',
].join('\n');

async function bundleCli(): Promise<void> {
  for (const file of readdirSync(dist)) if (file.endsWith('.v8-cache')) rmSync(path.join(dist, file));
  const result = await build({
    entryPoints: [path.join(dist, 'src/cli/main.js')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // Top-level helpers, since a module may shadow require, __dirname or __filename.
    banner: { js: bundleHelpers },
    plugins: [ownLocation],
    logLevel: 'warning',
    metafile: true,
  });
  // The cache belongs to this exact bundle: bin/mtlspec.js reads the id from the last line, then the cache named by it.
  const id = createHash('sha256').update(readFileSync(bundle)).digest('hex').slice(0, 16);
  appendFileSync(bundle, `//# mtlspec-bundle ${id}\n`);
  const inputs = Object.keys(result.metafile.inputs).length;
  const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  process.stdout.write(`bundle: ${path.relative(root, bundle)}, ${inputs} modules, ${(bytes / 1e6).toFixed(1)} MB\n`);
}

/**
 * V8 caches only the functions that ran, so the cache is written by a real
 * run: every scenario of the valid-credential case, on all four built-in
 * servers (CLI, cucumber, PKI, probe, servers, reports). A run against a
 * user's server adds only its few preflight functions on top.
 */
function makeCodeCache(): void {
  const reports = mkdtempSync(path.join(os.tmpdir(), 'mtlspec-warm-'));
  try {
    const run = spawnSync(process.execPath, [path.join(root, 'bin/mtlspec.js'), 'run', '--case', 'x509/valid', '--quiet', '--report-dir', reports], {
      cwd: root,
      env: { ...process.env, WRITE_MTLSPEC_CODE_CACHE: '1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const cached = readdirSync(dist).find((file) => file.endsWith('.v8-cache'));
    if (run.status !== 0 || !cached) {
      throw new Error(`the warm-up run to make the code cache failed (exit ${run.status ?? run.signal}):\n${run.stdout}${run.stderr}`);
    }
    process.stdout.write(`bundle: code cache dist/${cached}\n`);
  } finally {
    rmSync(reports, { recursive: true, force: true });
  }
}

await bundleCli();
makeCodeCache();
