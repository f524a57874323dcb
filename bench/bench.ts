/**
 * `make bench`: how fast is mtlspec, and what does it cost next to doing the
 * same by hand? One run measures, prints a table and writes reports/bench.json.
 * See bench/README.md for what each figure means and how it is taken.
 *
 * Every server and temp dir it makes is removed at the end, on failure and
 * on Ctrl-C too: the temp dir holds private keys.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPhases, type RunPhases } from './phases.js';
import { summarizeProfile, type ProfileSummary } from './profile-summary.js';
import { median, round, summarize, type Summary } from './stats.js';
import type { PkiBench, ProbeBench } from './micro.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'bin/mtlspec.js');
const node = process.execPath;
const repeats = Number(process.env['BENCH_REPEATS'] ?? 5);
const timeBinary = '/usr/bin/time';
const sameCases = ['tls/no-client-cert', 'x509/chain/untrusted-ca', 'x509/chain/self-signed', 'x509/usage/eku-server-auth-only', 'x509/validity/expired', 'tls/version/tls12', 'x509/valid'];

// ---------------------------------------------------------------------------
// Children and cleanup

const children = new Set<ChildProcess>();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mtlspec-bench-'));
let cleanedUp = false;

function cleanup(): void {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
}
process.once('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping servers and removing ${tmp}\n`);
    cleanup();
    process.exit(130);
  });
}

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly wallMs: number;
  /** Date.now() clock, to line up with cucumber's message timestamps. */
  readonly spawnedAtMs: number;
  readonly exitedAtMs: number;
}

function run(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const spawnedAtMs = Date.now();
    const started = performance.now();
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const wallMs = performance.now() - started;
      children.delete(child);
      resolve({ code, stdout, stderr, wallMs, spawnedAtMs, exitedAtMs: Date.now() });
    });
  });
}

function check(what: string, finished: Finished, allowed: readonly number[] = [0]): Finished {
  if (finished.code === null || !allowed.includes(finished.code)) {
    throw new Error(`${what} exited ${finished.code}\n--- stdout (end)\n${finished.stdout.slice(-1500)}\n--- stderr (end)\n${finished.stderr.slice(-1500)}`);
  }
  return finished;
}

function progress(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

// ---------------------------------------------------------------------------
// mtlspec runs

/** Cucumber and mtlspec must not pick up settings from the caller's shell. */
const cleanEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('MTLSPEC_')).map((k) => [k, undefined]));

interface MtlspecRun {
  readonly wallMs: number;
  readonly scenarios: number;
  readonly peakRssMb: number | undefined;
  readonly phases: RunPhases | undefined;
  /** The "in X s" the CLI prints: its own suite time. */
  readonly reportedSuiteS: number | undefined;
}

let runCounter = 0;

async function mtlspecRun(label: string, args: readonly string[], options: { phases: boolean; cli?: string }): Promise<MtlspecRun> {
  const reportDir = path.join(tmp, `run-${++runCounter}`);
  const rssFile = path.join(tmp, `rss-${runCounter}`);
  const withTime = existsSync(timeBinary);
  const command = withTime ? timeBinary : node;
  const commandArgs = [...(withTime ? ['-f', '%M', '-o', rssFile, node] : []), options.cli ?? cli, 'run', '--report-dir', reportDir, ...args];
  const finished = check(`${label} (node bin/mtlspec.js run ${args.join(' ')})`, await run(command, commandArgs, { env: cleanEnv }));
  const summary = /mtlspec: (\d+) scenarios: .* in ([\d.]+) s/.exec(finished.stdout);
  if (!summary) throw new Error(`${label}: no "mtlspec: N scenarios: ..." line in its output:\n${finished.stdout.slice(-1500)}`);
  const rssKb = withTime ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) : Number.NaN;
  const messages = path.join(reportDir, 'messages.ndjson');
  const phases = options.phases && existsSync(messages) ? readPhases(messages, finished.spawnedAtMs, finished.exitedAtMs) : undefined;
  rmSync(reportDir, { recursive: true, force: true });
  return {
    wallMs: finished.wallMs,
    scenarios: Number(summary[1]),
    peakRssMb: Number.isFinite(rssKb) ? round(rssKb / 1024, 1) : undefined,
    phases,
    reportedSuiteS: Number(summary[2]),
  };
}

function medianPhases(all: ReadonlyArray<RunPhases | undefined>): Record<string, number | Record<string, number>> {
  const phases = all.filter((p): p is RunPhases => p !== undefined);
  const result: Record<string, number | Record<string, number>> = {};
  const first = phases[0];
  if (!first) return result;
  for (const key of Object.keys(first) as Array<keyof RunPhases>) {
    const sample = first[key];
    if (typeof sample === 'number') {
      result[key] = round(median(phases.map((p) => p[key] as number)), 1);
    } else {
      const nested: Record<string, number> = {};
      for (const inner of Object.keys(sample)) nested[inner] = round(median(phases.map((p) => (p[key] as Record<string, number>)[inner] ?? 0)), 1);
      result[key] = nested;
    }
  }
  return result;
}

// ---------------------------------------------------------------------------
// The reference HTTP/2 server, as `mtlspec serve http2` runs it

interface Served {
  readonly url: string;
  readonly pkiDir: string;
  stop(): Promise<void>;
}

async function serveHttp2(): Promise<Served> {
  const pkiDir = path.join(tmp, 'serve-pki');
  const child = spawn(node, [cli, 'serve', 'http2', '--port', '0', '--pki-dir', pkiDir], { cwd: root, env: { ...process.env, ...cleanEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mtlspec serve http2 printed no URL within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (https:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`mtlspec serve http2 exited ${code} before listening:\n${output}`));
    });
  });
  return {
    url,
    pkiDir,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
      children.delete(child);
    },
  };
}

// ---------------------------------------------------------------------------
// The table

interface Metric {
  readonly id: string;
  readonly label: string;
  readonly value: number | undefined;
  readonly unit: string;
  /** Shown as the value; defaults to value + unit. */
  readonly display?: string;
  readonly target?: { readonly max: number; readonly display: string };
  readonly samples?: Summary;
}

function ok(metric: Metric): boolean | undefined {
  if (!metric.target || metric.value === undefined) return undefined;
  return metric.value <= metric.target.max;
}

function printTable(metrics: readonly Metric[]): void {
  const rows = metrics.map((m) => [m.label, m.display ?? (m.value === undefined ? 'n/a' : `${m.value} ${m.unit}`), m.target?.display ?? '-', ok(m) === undefined ? '-' : ok(m) ? 'yes' : 'NO']);
  const header = ['metric', 'value', 'target', 'ok?'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(row));
}

// ---------------------------------------------------------------------------

function machine(): Record<string, unknown> {
  const git = (args: string[]): string | undefined => {
    const result = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
    return result.status === 0 ? result.stdout.trim() : undefined;
  };
  const commit = git(['rev-parse', 'HEAD']);
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryMb: Math.round(os.totalmem() / 2 ** 20),
    loadAverage1mAtStart: round(os.loadavg()[0] ?? 0, 2),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    openssl: spawnSync('openssl', ['version'], { encoding: 'utf8' }).stdout.trim(),
    curl: spawnSync('curl', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? 'unknown',
    ...(commit ? { gitCommit: commit, gitDirty: (git(['status', '--porcelain']) ?? '') !== '' } : {}),
  };
}

async function micro<T>(args: readonly string[]): Promise<T> {
  const finished = check(`micro ${args[0] ?? ''}`, await run(node, [path.join(root, 'dist/bench/micro.js'), ...args]));
  return JSON.parse(finished.stdout) as T;
}

async function main(): Promise<void> {
  const started = performance.now();
  const date = new Date().toISOString();
  const info = machine();
  for (const tool of ['curl', 'openssl']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error) throw new Error(`${tool} is not installed: run bench/ensure-tools.sh (apt-get install ${tool})`);
  }
  if (!existsSync(timeBinary)) progress(`${timeBinary} is missing (apt-get install time): peak RSS will not be measured`);
  progress(`${repeats} repeats of each timing; scratch dir ${tmp}`);

  // 1. Start-up baselines, interleaved.
  progress('start-up baselines: node -e 0, cucumber\'s API import, mtlspec --version');
  const baselines: Record<string, number[]> = { 'node -e 0': [], "import('@cucumber/cucumber/api')": [], 'mtlspec --version (all CLI modules)': [] };
  for (let i = 0; i < repeats; i++) {
    baselines['node -e 0']?.push(check('node -e 0', await run(node, ['-e', '0'])).wallMs);
    baselines["import('@cucumber/cucumber/api')"]?.push(check('cucumber import', await run(node, ['--input-type=module', '-e', "await import('@cucumber/cucumber/api')"])).wallMs);
    baselines['mtlspec --version (all CLI modules)']?.push(check('mtlspec --version', await run(node, [cli, '--version'])).wallMs);
  }

  // 2. The catalogue and its gRPC + HTTP/2 part, interleaved; with BENCH_BASELINE (another built checkout), its full run too.
  const full: MtlspecRun[] = [];
  const h2grpc: MtlspecRun[] = [];
  const baselineFull: MtlspecRun[] = [];
  const baselineCli = process.env['BENCH_BASELINE'] ? path.join(path.resolve(process.env['BENCH_BASELINE']), 'bin/mtlspec.js') : undefined;
  for (let i = 0; i < repeats; i++) {
    progress(`catalogue run ${i + 1}/${repeats} (full, then --tags "@grpc or @http2"${baselineCli ? ', then the baseline\'s full run' : ''})`);
    full.push(await mtlspecRun('full catalogue', [], { phases: true }));
    h2grpc.push(await mtlspecRun('gRPC + HTTP/2', ['--tags', '@grpc or @http2'], { phases: true }));
    if (baselineCli) baselineFull.push(await mtlspecRun('baseline full catalogue', [], { phases: false, cli: baselineCli }));
  }

  // 3. PKI.
  progress('PKI: createRunPki, key generation, 300 leaves');
  const pki = await micro<PkiBench>(['pki']);

  // 4. Probe cost and the by-hand alternative, against one `mtlspec serve http2`.
  progress('starting mtlspec serve http2');
  const server = await serveHttp2();
  let probe: ProbeBench;
  const byHand: number[] = [];
  const byHandSplit: Array<{ mintMs: number; probeMs: number }> = [];
  const sameCasesRuns: MtlspecRun[] = [];
  try {
    progress(`probe() vs bare TLS and HTTP/2 clients against ${server.url}`);
    probe = await micro<ProbeBench>(['probe', '--url', server.url, '--pki-dir', server.pkiDir]);
    const ca = path.join(server.pkiDir, 'ca.pem');
    const caKey = path.join(server.pkiDir, 'ca.key');
    const byHandOnce = async (): Promise<void> => {
      const finished = check('bench/by-hand.sh', await run('bash', [path.join(root, 'bench/by-hand.sh'), server.url, ca, caKey]));
      const split = /mint (\d+) ms, probe (\d+) ms/.exec(finished.stdout);
      byHand.push(finished.wallMs);
      if (split) byHandSplit.push({ mintMs: Number(split[1]), probeMs: Number(split[2]) });
    };
    const mtlspecOnce = async (): Promise<void> => {
      const args = ['--target', server.url, '--ca-cert', ca, '--ca-key', caKey, '--server-ca', ca, ...sameCases.flatMap((id) => ['--case', id])];
      const result = await mtlspecRun('mtlspec on the by-hand cases', args, { phases: true });
      if (result.scenarios !== sameCases.length) throw new Error(`mtlspec ran ${result.scenarios} scenarios for the ${sameCases.length} by-hand cases`);
      sameCasesRuns.push(result);
    };
    for (let i = 0; i < repeats; i++) {
      progress(`by-hand.sh vs mtlspec, ${sameCases.length} cases, round ${i + 1}/${repeats}`);
      // Alternate which goes first, so neither always runs on a warmer machine.
      if (i % 2 === 0) {
        await byHandOnce();
        await mtlspecOnce();
      } else {
        await mtlspecOnce();
        await byHandOnce();
      }
    }
  } finally {
    await server.stop();
  }

  // 5. Optional: one profiled full run (BENCH_PROFILE=1).
  let profile: ProfileSummary | undefined;
  if (process.env['BENCH_PROFILE'] === '1') {
    progress('one full run under --cpu-prof');
    const profDir = path.join(tmp, 'profile');
    check('profiled run', await run(node, ['--cpu-prof', '--cpu-prof-dir', profDir, cli, 'run', '--report-dir', path.join(tmp, 'profiled-run')], { env: cleanEnv }));
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (file) profile = summarizeProfile(path.join(profDir, file), 15);
  }

  // ---- figures
  const wall = (runs: readonly MtlspecRun[]): Summary => summarize(runs.map((r) => r.wallMs / 1000));
  const fullWall = wall(full);
  const h2grpcWall = wall(h2grpc);
  const sameCasesWall = wall(sameCasesRuns);
  const byHandWall = summarize(byHand.map((ms) => ms / 1000));
  const scenarios = full[0]?.scenarios ?? 0;
  const h2grpcScenarios = h2grpc[0]?.scenarios ?? 0;
  const cliStartMs = median(baselines['mtlspec --version (all CLI modules)'] ?? []);
  const pkiStartMs = pki.createRunPkiMs.median;
  const perScenarioMs = (fullWall.median * 1000 - cliStartMs - pkiStartMs) / Math.max(1, scenarios);
  const op = (name: string): number => probe.perOpMs[name]?.median ?? Number.NaN;
  const rss = full.map((r) => r.peakRssMb).filter((v): v is number => v !== undefined);
  const ratio = round(sameCasesWall.median / byHandWall.median, 2);

  const metrics: Metric[] = [
    { id: 'full.wall', label: `full catalogue wall (${scenarios} scenarios), median of ${repeats}`, value: fullWall.median, unit: 's', samples: fullWall },
    ...(baselineFull.length > 0
      ? [{ id: 'full.vs-baseline', label: `full catalogue wall / the baseline's (${process.env['BENCH_BASELINE'] ?? ''}), medians, interleaved`, value: round(fullWall.median / wall(baselineFull).median, 2), unit: '×', target: { max: 1.5, display: '<= 1.5×' }, display: `${round(fullWall.median / wall(baselineFull).median, 2)}× (${fullWall.median} s / ${wall(baselineFull).median} s)` }]
      : []),
    { id: 'grpc-http2.wall', label: `gRPC + HTTP/2 wall (${h2grpcScenarios} scenarios), median of ${repeats}`, value: h2grpcWall.median, unit: 's', target: { max: 3, display: '<= 3 s' }, samples: h2grpcWall },
    {
      id: 'full.per-scenario',
      label: 'full run per scenario, beyond CLI start-up and PKI',
      value: round(perScenarioMs, 1),
      unit: 'ms',
      display: `${round(perScenarioMs, 1)} ms (bare handshake ${round(op('bare TLS 1.3 handshake'), 1)} ms)`,
    },
    {
      id: 'probe.vs-handshake',
      label: 'probe() to the answer / bare TLS 1.3 ECDSA handshake',
      value: probe.ratios['probe / bare handshake'],
      unit: 'x',
      display: `${probe.ratios['probe / bare handshake']}x (${round(op('mtlspec probe() (valid cert)'), 1)} / ${round(op('bare TLS 1.3 handshake'), 1)} ms)`,
    },
    {
      id: 'probe.vs-http2-get',
      label: 'probe() / bare node:http2 GET (same work)',
      value: probe.ratios['probe / bare HTTP/2 GET'],
      unit: 'x',
      display: `${probe.ratios['probe / bare HTTP/2 GET']}x (${round(op('mtlspec probe() (valid cert)'), 1)} / ${round(op('bare HTTP/2 GET (valid cert)'), 1)} ms); refused ${probe.ratios['refused probe / refused bare GET']}x`,
    },
    {
      id: 'pki.leaf',
      label: `one leaf certificate (${pki.leaf.leaves} x pki.issue, total / n)`,
      value: pki.leaf.perLeafMs,
      unit: 'ms',
      display: `${pki.leaf.perLeafMs} ms (median ${pki.leaf.medianMs} ms)`,
      target: { max: 2, display: '<= 2 ms' },
    },
    {
      id: 'pki.start',
      // The CAs below the trusted one, and the RSA key, are made when a case first needs them.
      label: 'run PKI start-up (createRunPki: two root CAs, server leaf)',
      value: pki.createRunPkiMs.median,
      unit: 'ms',
      display: `${round(pki.createRunPkiMs.median, 0)} ms (one RSA-2048 key: ${round(pki.keygenMs['rsa-2048']?.median ?? Number.NaN, 0)} ms)`,
      samples: pki.createRunPkiMs,
    },
    {
      id: 'vs-by-hand.ratio',
      label: `mtlspec / by-hand.sh, same ${sameCases.length} cases, median of ${repeats}`,
      value: ratio,
      unit: 'x',
      display: `${ratio}x (${sameCasesWall.median} s / ${byHandWall.median} s)`,
      target: { max: 1, display: '<= 1' },
    },
    { id: 'full.peak-rss', label: 'peak RSS of a full catalogue run (max of runs)', value: rss.length > 0 ? Math.max(...rss) : undefined, unit: 'MB', target: { max: 250, display: '<= 250 MB' } },
    { id: 'startup.cli', label: 'CLI start-up: node bin/mtlspec.js --version', value: round(cliStartMs), unit: 'ms', display: `${round(cliStartMs, 0)} ms (node -e 0: ${round(median(baselines['node -e 0'] ?? []), 0)} ms)` },
  ];

  const report = {
    schema: 1,
    date,
    machine: { ...info, loadAverage1mAtEnd: round(os.loadavg()[0] ?? 0, 2) },
    repeats,
    benchWallS: round((performance.now() - started) / 1000, 1),
    metrics: metrics.map((m) => ({ id: m.id, label: m.label, value: m.value, unit: m.unit, ...(m.target ? { target: m.target.display, ok: ok(m) } : {}), ...(m.samples ? { samples: m.samples } : {}) })),
    details: {
      startupMs: Object.fromEntries(Object.entries(baselines).map(([name, values]) => [name, summarize(values)])),
      fullCatalogue: {
        scenarios,
        wallS: fullWall,
        reportedSuiteS: summarize(full.map((r) => r.reportedSuiteS ?? Number.NaN)),
        peakRssMb: rss.length > 0 ? summarize(rss) : undefined,
        phasesMedianMs: medianPhases(full.map((r) => r.phases)),
      },
      grpcHttp2: {
        scenarios: h2grpcScenarios,
        wallS: h2grpcWall,
        reportedSuiteS: summarize(h2grpc.map((r) => r.reportedSuiteS ?? Number.NaN)),
        phasesMedianMs: medianPhases(h2grpc.map((r) => r.phases)),
      },
      pki,
      probe,
      versusByHand: {
        cases: sameCases,
        byHandWallS: byHandWall,
        byHandMintMs: summarize(byHandSplit.map((s) => s.mintMs)),
        byHandProbeMs: summarize(byHandSplit.map((s) => s.probeMs)),
        mtlspecWallS: sameCasesWall,
        mtlspecPhasesMedianMs: medianPhases(sameCasesRuns.map((r) => r.phases)),
        ratio,
        // What one more case costs each way, start-up aside: by hand every case is its own
        // openssl and curl processes; mtlspec's is its share of the scenarios phase.
        perCaseMs: {
          byHand: round((byHandWall.median * 1000) / sameCases.length, 1),
          mtlspecScenarioPhase: round(median(sameCasesRuns.map((r) => (r.phases?.scenariosMs ?? Number.NaN) / sameCases.length)), 1),
        },
      },
      ...(profile ? { profile } : {}),
    },
  };

  const reportsDir = path.join(root, 'reports');
  mkdirSync(reportsDir, { recursive: true });
  const out = path.join(reportsDir, 'bench.json');
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);

  console.log('');
  console.log(`mtlspec bench, ${date}: ${info['cpuModel']} x${info['cores']}, Node ${process.version}, load ${info['loadAverage1mAtStart']}`);
  printTable(metrics);
  const phases = report.details.fullCatalogue.phasesMedianMs;
  console.log('');
  console.log(`where a full run's wall goes (median ms): ${Object.entries(phases).map(([k, v]) => `${k} ${typeof v === 'number' ? v : JSON.stringify(v)}`).join(', ')}`);
  console.log(`written: ${path.relative(process.cwd(), out) || out} (bench took ${report.benchWallS} s)`);
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(cleanup);
