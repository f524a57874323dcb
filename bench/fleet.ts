/**
 * `make bench`, the fleet part: N loopback targets (built-in HTTP/2 servers
 * on N ports, in one process; every fifth flawed), the full HTTP/2
 * catalogue against each, as one `mtlspec run --inventory` per
 * --concurrency value. For each: wall time, scenarios per second, and the
 * peak RSS of mtlspec's whole process tree (the fleet and its target runs,
 * summed from /proc every 100 ms; the servers' process is not counted).
 * Each run's verdicts are checked: flawed targets failed, correct ones passed
 * (a wrong verdict is flagged apart from an inconclusive one), the same at
 * every concurrency. Writes reports/bench-fleet.json.
 *
 *   BENCH_FLEET_TARGETS=100 BENCH_FLEET_CONCURRENCY=1,4,16 node dist/bench/fleet.js
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FleetResults } from '../src/fleet/fleet-results.js';
import type { FleetServers } from './fleet-servers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'bin/mtlspec.js');
const targetCount = Number(process.env['BENCH_FLEET_TARGETS'] ?? 100);
const concurrencies = (process.env['BENCH_FLEET_CONCURRENCY'] ?? '1,4,16').split(',').map(Number);
const wallTargetMs = 60_000;
const rssTargetMb = 400;
/** No fleet run may take longer than this, whatever the machine: a bench that hangs measures nothing. */
const runDeadlineMs = 20 * 60_000;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'mtlspec-bench-fleet-'));
const children = new Set<ChildProcess>();

function cleanup(): void {
  for (const child of children) child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}
process.once('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    cleanup();
    process.exit(130);
  });
}

function progress(text: string): void {
  process.stderr.write(`bench fleet: ${text}\n`);
}

async function startServers(): Promise<{ ready: FleetServers; stop(): void }> {
  const child = spawn(process.execPath, [path.join(root, 'dist/bench/fleet-servers.js'), String(targetCount), tmp], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  const ready = await new Promise<FleetServers>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the fleet servers did not start within 60 s')), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as FleetServers);
      }
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`the fleet servers exited ${code}`));
    });
  });
  return { ready, stop: () => void child.kill('SIGTERM') };
}

function writeInventory(ready: FleetServers): string {
  const file = path.join(tmp, 'inventory.json');
  const inventory = {
    defaults: { 'ca-cert': ready.caCert, 'ca-key': ready.caKey, 'server-ca': ready.caCert, 'spiffe-id': ready.spiffeId },
    targets: ready.servers.map((server, i) => ({
      name: `svc-${String(i + 1).padStart(3, '0')}`,
      target: server.url,
      owner: `team-${i % 4}`,
      tags: server.flaws.length > 0 ? ['flawed', ...server.flaws] : ['correct'],
    })),
  };
  writeFileSync(file, JSON.stringify(inventory, null, 2));
  return file;
}

/** RSS of a process and all its descendants, from /proc. */
function treeRssBytes(rootPid: number): number {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields after it start past the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(name), Number(fields[1]));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  const tree = new Set([rootPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, parent] of parents) {
      if (!tree.has(pid) && tree.has(parent)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  let total = 0;
  for (const pid of tree) {
    try {
      const pages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
      total += pages * 4096;
    } catch {
      // Ended meanwhile.
    }
  }
  return total;
}

interface FleetRun {
  readonly concurrency: number;
  readonly wallMs: number;
  readonly peakRssMb: number;
  readonly scenarios: number;
  readonly scenariosPerSecond: number;
  readonly verdicts: FleetResults['verdicts'];
  readonly exitCode: number | null;
  /** Per target: verdict and each scenario's status, to compare across concurrencies. */
  readonly fingerprint: string;
  /** The 1-minute load average when the run started. */
  readonly loadAverage: number;
  /** Why targets ended neither passed nor failed. */
  readonly unexpected: readonly string[];
  /** Targets judged against their build: a flawed one passed, or a correct one failed. */
  readonly wrong: readonly string[];
}

async function fleetRun(inventory: string, concurrency: number): Promise<FleetRun> {
  const reportDir = path.join(tmp, `fleet-c${concurrency}`);
  const loadAverage = os.loadavg()[0] ?? 0;
  const started = performance.now();
  const child = spawn(process.execPath, [cli, 'run', '--inventory', inventory, '--concurrency', String(concurrency), '--report-dir', reportDir], {
    cwd: tmp,
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, treeRssBytes(child.pid ?? -1))), 100);
  const deadline = setTimeout(() => child.kill('SIGKILL'), runDeadlineMs);
  let lastLine = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = chunk.toString().trim().split('\n');
    lastLine = lines.at(-1) ?? lastLine;
  });
  const ticker = setInterval(() => progress(`  --concurrency ${concurrency}: ${lastLine}`), 15_000);
  const exitCode = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearInterval(sampler);
  clearInterval(ticker);
  clearTimeout(deadline);
  children.delete(child);
  const wallMs = performance.now() - started;
  const results = JSON.parse(readFileSync(path.join(reportDir, 'results.json'), 'utf8')) as FleetResults;
  const scenarios = results.targets.reduce((sum, t) => sum + t.scenarios.length, 0);
  return {
    concurrency,
    wallMs: Math.round(wallMs),
    peakRssMb: Math.round(peak / 1024 / 1024),
    scenarios,
    scenariosPerSecond: Math.round((scenarios / wallMs) * 1000 * 10) / 10,
    verdicts: results.verdicts,
    exitCode,
    loadAverage,
    unexpected: results.targets.filter((t) => t.verdict !== 'passed' && t.verdict !== 'failed').map((t) => `${t.verdict}: ${t.reason}`),
    // A flawed target passed, or a correct one failed: never acceptable, at any load.
    wrong: results.targets.filter((t) => (t.verdict === 'passed' && t.tags.includes('flawed')) || (t.verdict === 'failed' && t.tags.includes('correct'))).map((t) => `${t.name} (${t.tags.join(', ')}) ${t.verdict}`),
    fingerprint: results.targets.map((t) => `${t.name}=${t.verdict}:${t.scenarios.map((s) => `${s.caseId}/${s.status}`).join(',')}`).join('\n'),
  };
}

async function main(): Promise<void> {
  progress(`${targetCount} loopback HTTP/2 targets (every fifth flawed), full HTTP/2 catalogue, --concurrency ${concurrencies.join(', ')}; ${os.availableParallelism()} cores`);
  const servers = await startServers();
  const runs: FleetRun[] = [];
  const problems: string[] = [];
  try {
    const inventory = writeInventory(servers.ready);
    for (const concurrency of concurrencies) {
      progress(`run with --concurrency ${concurrency}`);
      const run = await fleetRun(inventory, concurrency);
      runs.push(run);
      const flawed = servers.ready.servers.filter((s) => s.flaws.length > 0).length;
      if (run.verdicts.failed !== flawed || run.verdicts.passed !== targetCount - flawed) {
        const reasons = [...new Set(run.unexpected)].slice(0, 3).join('; ');
        problems.push(`--concurrency ${concurrency}: ${JSON.stringify(run.verdicts)}, expected ${flawed} failed and ${targetCount - flawed} passed; ${reasons}`);
      }
      if (run.wrong.length > 0) problems.push(`--concurrency ${concurrency}: WRONG VERDICTS: ${run.wrong.join('; ')}`);
      if (runs[0] && run.fingerprint !== runs[0].fingerprint) problems.push(`--concurrency ${concurrency} gave other verdicts than --concurrency ${runs[0].concurrency}`);
    }
  } finally {
    servers.stop();
  }
  const base = runs[0];
  const mark = (ok: boolean): string => (ok ? 'ok' : 'OVER');
  const lines = [
    '',
    `fleet: ${targetCount} targets x full HTTP/2 catalogue, ${os.availableParallelism()} cores (targets: <= ${wallTargetMs / 1000} s wall, <= ${rssTargetMb} MB RSS)`,
    '  (the machine is shared: the load average at each run\'s start is the last column)',
    '  concurrency  wall            scenarios  scenarios/s  speed-up  peak RSS (tree)  verdicts (pass/fail/inconcl/error)  load',
    ...runs.map((r) => [
      String(r.concurrency).padEnd(13),
      `${(r.wallMs / 1000).toFixed(1)} s ${mark(r.wallMs <= wallTargetMs)}`.padEnd(16),
      String(r.scenarios).padEnd(11),
      String(r.scenariosPerSecond).padEnd(13),
      `${base ? (base.wallMs / r.wallMs).toFixed(2) : '1.00'}x`.padEnd(10),
      `${r.peakRssMb} MB ${mark(r.peakRssMb <= rssTargetMb)}`.padEnd(17),
      `${r.verdicts.passed}/${r.verdicts.failed}/${r.verdicts.inconclusive}/${r.verdicts.error}`.padEnd(35),
      r.loadAverage.toFixed(1),
    ].join('')).map((line) => `  ${line}`),
    ...problems.map((p) => `  PROBLEM: ${p}`),
    '',
  ];
  process.stdout.write(lines.join('\n'));
  mkdirSync(path.join(root, 'reports'), { recursive: true });
  writeFileSync(path.join(root, 'reports/bench-fleet.json'), `${JSON.stringify({ date: new Date().toISOString(), targets: targetCount, cores: os.availableParallelism(), loadavg: os.loadavg(), runs: runs.map(({ fingerprint: _omit, ...r }) => r), problems }, null, 2)}\n`);
  if (problems.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench fleet: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
