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
 * themselves (grpc-js's protos), cucumber tells its own stack frames from
 * the user's by __filename, yargs finds package.json from import.meta.url,
 * and mtlspec finds features/ and proto/ the same way. In one file all of
 * them would name the bundle instead, so each file that uses them gets its
 * original path back, found at run time: mtlspec's own files relative to the
 * bundle (dist/ ships whole), a package's files where Node would find that
 * package from the bundle, which differs once mtlspec is installed into
 * another project (its dependencies then sit beside it, not inside it).
 */
const ownLocation: Plugin = {
  name: 'own-location',
  setup(esbuild) {
    esbuild.onLoad({ filter: /\.[cm]?js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const usesImportMeta = source.includes('import.meta.url');
      const usesDirname = /\b__(?:dirname|filename)\b/.test(source);
      if (!usesImportMeta && !usesDirname) return undefined;
      const file = runtimePathOf(args.path);
      // import.meta exists only in ES modules, __dirname only in CommonJS ones. An ES module may declare a
      // __dirname of its own (yargs does): renamed, since ES modules share the bundle's top-level scope.
      const contents = usesImportMeta
        ? `var __mtlspecOwnUrl = __mtlspecUrlOf(${file});\n${source.replaceAll('import.meta.url', '__mtlspecOwnUrl').replace(/\b__(dirname|filename)\b/g, '__own_$1')}`
        : `var __filename = ${file}, __dirname = __mtlspecPath.dirname(__filename);\n${source}`;
      return { contents, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

/** An expression for a bundled file's path at run time (see ownLocation). */
function runtimePathOf(file: string): string {
  const relative = path.relative(root, file).split(path.sep).join('/');
  if (!relative.startsWith('node_modules/')) return `__mtlspecPath.join(__mtlspecBundleDir, ${JSON.stringify(path.relative(dist, file))})`;
  // node_modules/a/node_modules/@s/b/lib/x.js: package "a", inside it "@s/b", then the file "lib/x.js".
  const parts = relative.split('/');
  const chain: string[] = [];
  let index = 0;
  while (parts[index] === 'node_modules') {
    const scoped = parts[index + 1]?.startsWith('@');
    chain.push(parts.slice(index + 1, index + (scoped ? 3 : 2)).join('/'));
    index += scoped ? 3 : 2;
  }
  return `__mtlspecPackageFile(${JSON.stringify(chain)}, ${JSON.stringify(parts.slice(index).join('/'))})`;
}

/** The bundle's top level: helpers for ownLocation, taken before any bundled module can shadow require or __dirname. */
const bundleHelpers = `const __mtlspecPath = require("node:path"), __mtlspecBundleDir = __dirname;
const __mtlspecUrlOf = (file) => require("node:url").pathToFileURL(file).href;
const __mtlspecPackageDirs = new Map();
/** Where Node would find this package (and the ones nested in it) from the bundle's folder. */
const __mtlspecPackageFile = (chain, file) => {
  let from = __mtlspecBundleDir;
  for (const name of chain) {
    const key = from + "|" + name;
    if (!__mtlspecPackageDirs.has(key)) {
      let found = null;
      for (let dir = from; found === null; dir = __mtlspecPath.dirname(dir)) {
        const candidate = __mtlspecPath.join(dir, "node_modules", name);
        if (require("node:fs").existsSync(__mtlspecPath.join(candidate, "package.json"))) found = candidate;
        else if (__mtlspecPath.dirname(dir) === dir) break;
      }
      __mtlspecPackageDirs.set(key, found);
    }
    const found = __mtlspecPackageDirs.get(key);
    // Not installed (a dependency it never loads): where it was at build time.
    if (found === null) return __mtlspecPath.join(__mtlspecBundleDir, "..", "node_modules", ...chain, file);
    from = found;
  }
  return __mtlspecPath.join(from, file);
};`;

async function bundleCli(): Promise<void> {
  for (const file of readdirSync(dist)) if (file.endsWith('.v8-cache')) rmSync(path.join(dist, file));
  const result = await build({
    entryPoints: [path.join(dist, 'src/cli/main.js')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: bundleHelpers },
    // It reads its report template and scripts from its own folder: loaded from node_modules at run time, so
    // code and files always come from the same installed copy.
    external: ['@cucumber/html-formatter'],
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
 * run: every scenario of the valid-credential case on the built-in servers
 * (CLI, cucumber, PKI, probe, servers, reports). A run against a user's
 * server adds only its few preflight functions on top. The run starts in an
 * empty folder with no MTLSPEC_* variables, so no config file or setting of
 * the person building can point it anywhere else. If it fails, the build
 * goes on without a cache (slower runs, nothing wrong), and says why: the
 * tests then show what broke.
 */
function makeCodeCache(): void {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'mtlspec-warm-'));
  try {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MTLSPEC_')));
    const run = spawnSync(process.execPath, [path.join(root, 'bin/mtlspec.js'), 'run', '--case', 'x509/valid', '--quiet', '--report-dir', path.join(scratch, 'reports')], {
      cwd: scratch,
      env: { ...env, WRITE_MTLSPEC_CODE_CACHE: '1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const cached = readdirSync(dist).find((file) => file.endsWith('.v8-cache'));
    if (run.status === 0 && cached) {
      process.stdout.write(`bundle: code cache dist/${cached}\n`);
      return;
    }
    if (cached) rmSync(path.join(dist, cached));
    process.stderr.write(`bundle: WARNING: no code cache, so every run compiles the CLI anew: the warm-up run exited ${run.status ?? run.signal}:\n${run.stdout}${run.stderr}\n`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

await bundleCli();
makeCodeCache();
