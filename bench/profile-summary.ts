/**
 * Summarises a V8 CPU profile of an mtlspec run (node --cpu-prof):
 *
 *   node --cpu-prof --cpu-prof-dir /tmp/prof bin/mtlspec.js run --report-dir /tmp/r
 *   node dist/bench/profile-summary.js /tmp/prof/*.cpuprofile
 *
 * Prints, for the main thread: time by owner (self time: Node internals,
 * each npm package, each folder of mtlspec), inclusive time of a few
 * activities that cut across owners (module loading, cucumber's formatters,
 * the PKI, the probe), and the heaviest functions by self and inclusive
 * time. Work on libuv's thread pool (key generation) shows as (idle) here.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { round } from './stats.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Who owns a frame: a pseudo-frame, Node itself, an npm package, or a folder of mtlspec. */
export function ownerOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node (internals)';
  // Frames unbundle() could not place: the bundle's top level, where the ES modules' bodies run at load.
  if (url.endsWith('/dist/mtlspec.cjs')) return 'mtlspec bundle, top level (module bodies at load)';
  const nodeModules = url.lastIndexOf('/node_modules/');
  if (nodeModules >= 0) {
    const rest = url.slice(nodeModules + '/node_modules/'.length).split('/');
    return `npm ${rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? '?')}`;
  }
  const dist = url.match(/\/dist\/(src\/[^/]+|steps|fixtures|bench|test)\//);
  if (dist) return `mtlspec ${dist[1] ?? '?'}`;
  return url.replace(/^file:\/\//, '');
}

/** Activities that span owners, recognised by a frame anywhere on the stack. */
const activities: ReadonlyArray<[string, (frame: CallFrame) => boolean]> = [
  ['module loading (ESM/CJS loaders, incl. top-level code)', (f) => /^node:internal\/modules\//.test(f.url) || f.functionName === 'loadBundle'],
  ['cucumber loadConfiguration + Gherkin + support code', (f) => /@cucumber\/cucumber\/lib\/api\/(load_configuration|load_sources|load_support|gherkin|support)/.test(f.url)],
  ['cucumber formatters (html, junit, message)', (f) => /@cucumber\/(cucumber\/lib\/formatter|html-formatter|junit-xml-formatter|message-streams)/.test(f.url)],
  ['mtlspec PKI (src/pki)', (f) => /\/dist\/src\/pki\//.test(f.url)],
  ['mtlspec probe (src/probe)', (f) => /\/dist\/src\/probe\//.test(f.url)],
  ['mtlspec reference servers (src/servers)', (f) => /\/dist\/src\/servers\//.test(f.url)],
  ['mtlspec report (src/report)', (f) => /\/dist\/src\/report\//.test(f.url)],
  ['grpc-js (server side)', (f) => /@grpc\/grpc-js/.test(f.url)],
  ['protobufjs / proto-loader', (f) => /protobufjs|@grpc\/proto-loader/.test(f.url)],
  ['@peculiar x509/asn1 (certificate encoding)', (f) => /@peculiar\/|asn1js|pvtsutils|pvutils/.test(f.url)],
  ['(garbage collector)', (f) => f.functionName === '(garbage collector)'],
  ['(idle: waiting on sockets, timers, thread pool)', (f) => f.functionName === '(idle)'],
];

export interface ProfileSummary {
  readonly file: string;
  readonly sampledMs: number;
  readonly selfByOwnerMs: Record<string, number>;
  readonly inclusiveByActivityMs: Record<string, number>;
  readonly topSelf: Array<{ fn: string; ms: number }>;
  readonly topInclusive: Array<{ fn: string; ms: number }>;
}

function label(frame: CallFrame): string {
  const where = frame.url.replace(/^.*\/(node_modules|dist)\//, '$1/').replace(/^file:\/\//, '');
  return `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
}

/**
 * The CLI runs bundled (dist/mtlspec.cjs), where every frame would name the
 * bundle. esbuild heads each module with a "// path/of/module.js" comment, so
 * a frame's line gives its module back: frames are renamed to the module's
 * own file, and everything below attributes them as in an unbundled run.
 */
function unbundle(profile: CpuProfile): void {
  const modulesByBundle = new Map<string, { starts: number[]; files: string[]; root: string }>();
  for (const node of profile.nodes) {
    const { url } = node.callFrame;
    if (!url.endsWith('/dist/mtlspec.cjs')) continue;
    let modules = modulesByBundle.get(url);
    if (!modules) {
      const bundlePath = url.startsWith('file:') ? fileURLToPath(url) : url;
      modules = { starts: [], files: [], root: bundlePath.replace(/\/dist\/mtlspec\.cjs$/, '') };
      readFileSync(bundlePath, 'utf8').split('\n').forEach((line, index) => {
        const marker = /^\/\/ (\S+\.(?:js|cjs|mjs|json))$/.exec(line);
        if (marker?.[1]) {
          modules?.starts.push(index);
          modules?.files.push(marker[1]);
        }
      });
      modulesByBundle.set(url, modules);
    }
    // The last module starting at or before the frame's line (0-based in both).
    let low = 0;
    let high = modules.starts.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if ((modules.starts[middle] ?? Infinity) <= node.callFrame.lineNumber) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    const file = modules.files[found];
    // Before the first module: the bundle's own top level (esbuild's helpers).
    if (file) node.callFrame.url = pathToFileURL(`${modules.root}/${file}`).href;
  }
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  unbundle(profile);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const selfByOwner = new Map<string, number>();
  const selfByFn = new Map<string, number>();
  const inclusiveByActivity = new Map<string, number>();
  const inclusiveByFn = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, us: number): void => void map.set(key, (map.get(key) ?? 0) + us);

  let sampled = 0;
  profile.samples.forEach((id, index) => {
    // V8 records the delta before each sample; attribute it to that sample's stack.
    const us = profile.timeDeltas[index] ?? 0;
    sampled += us;
    const leaf = byId.get(id);
    if (!leaf) return;
    add(selfByOwner, ownerOf(leaf.callFrame), us);
    add(selfByFn, label(leaf.callFrame), us);
    const seenActivities = new Set<string>();
    const seenFns = new Set<string>();
    for (let node: ProfileNode | undefined = leaf; node; node = byId.get(parent.get(node.id) ?? -1)) {
      for (const [name, matches] of activities) if (matches(node.callFrame)) seenActivities.add(name);
      const fn = label(node.callFrame);
      if (!node.callFrame.functionName.startsWith('(')) seenFns.add(fn);
    }
    for (const name of seenActivities) add(inclusiveByActivity, name, us);
    for (const fn of seenFns) add(inclusiveByFn, fn, us);
  });

  const toMs = (map: Map<string, number>): Record<string, number> =>
    Object.fromEntries([...map].sort((a, b) => b[1] - a[1]).map(([key, us]) => [key, round(us / 1000, 1)]));
  const topOf = (map: Map<string, number>): Array<{ fn: string; ms: number }> =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, us]) => ({ fn, ms: round(us / 1000, 1) }));
  return {
    file,
    sampledMs: round(sampled / 1000, 1),
    selfByOwnerMs: toMs(selfByOwner),
    inclusiveByActivityMs: toMs(inclusiveByActivity),
    topSelf: topOf(selfByFn),
    // Inclusive of the entry points is the whole run: skip the frames that hold (nearly) everything.
    topInclusive: topOf(inclusiveByFn).filter((entry) => entry.ms < (sampled / 1000) * 0.9),
  };
}

function print(summary: ProfileSummary): void {
  const line = (name: string, value: number): string => `  ${String(value.toFixed(1)).padStart(8)} ms  ${name}`;
  console.log(`${summary.file}: ${summary.sampledMs.toFixed(0)} ms sampled on the main thread`);
  console.log('self time by owner:');
  for (const [owner, value] of Object.entries(summary.selfByOwnerMs).slice(0, 20)) console.log(line(owner, value));
  console.log('inclusive time by activity (a sample counts once per activity on its stack):');
  for (const [name, value] of Object.entries(summary.inclusiveByActivityMs)) console.log(line(name, value));
  console.log('heaviest functions, self:');
  for (const { fn, ms } of summary.topSelf) console.log(line(fn, ms));
  console.log('heaviest functions, inclusive:');
  for (const { fn, ms } of summary.topInclusive) console.log(line(fn, ms));
}

function main(args: readonly string[]): void {
  const files = args.filter((arg) => arg !== '--json');
  if (files.length === 0) {
    console.error('usage: node dist/bench/profile-summary.js PROFILE.cpuprofile... [--json]');
    process.exitCode = 2;
  }
  for (const file of files) {
    const summary = summarizeProfile(file, 25);
    if (args.includes('--json')) console.log(JSON.stringify(summary));
    else print(summary);
  }
}

// A command when run, a library when bench.ts imports it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));
