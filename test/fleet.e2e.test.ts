import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { createRunPki, loopbackHosts, PrivateDir, type RunPki } from '../src/pki/index.js';
import { startReferenceServer, type RunningServer } from '../src/servers/index.js';
import type { ServerFlaw } from '../src/servers/types.js';
import type { FleetResults } from '../src/fleet/fleet-results.js';
import { runCli, type CliRun } from './support/cli.js';
import { closedPort } from './support/hostile-servers.js';

/**
 * Fleets end to end: a 20-target inventory of built-in HTTP/2 servers, some
 * correct and some flawed, plus one that is down, run whole and in two
 * shards; the merge of the shards must give every target the verdicts the
 * whole run gave it. Then the inventory and merge mistakes, each one line
 * and exit 2 before any probe.
 */
const spiffeId = 'spiffe://example.org/client';
/** Few cases, chosen so that each flaw below fails at least one of them: the fleet machinery is under test, not the catalogue. */
const selectedCases = ['x509/valid', 'x509/validity/expired', 'x509/usage/eku-server-auth-only', 'x509/chain/untrusted-ca', 'tls/version/tls12'];
const flawCycle: ReadonlyArray<readonly ServerFlaw[]> = [[], ['accept-any-cert'], [], ['ignore-expiry'], ['allow-tls12'], [], ['ignore-eku']];
const root = mkdtempSync(path.join(tmpdir(), 'mtlspec-fleet-'));
const inventoryFile = path.join(root, 'inventory', 'targets.yaml');
let pki: RunPki;
let files: PrivateDir;
const servers: RunningServer[] = [];
let downUrl: string;

before(async () => {
  pki = await createRunPki({ clientSpiffeId: spiffeId, trustedCa: 'generate', serverHosts: loopbackHosts });
  assert.ok(pki.trustedCa && pki.server);
  files = new PrivateDir();
  const caPath = files.write('ca.pem', pki.trustedCa.certPem);
  const caKeyPath = files.write('ca.key', pki.trustedCa.key.privateKeyPem);
  for (let i = 0; i < 19; i++) {
    const flaws = flawCycle[i % flawCycle.length] ?? [];
    servers.push(await startReferenceServer('http2', { clientCaPem: pki.trustedCa.certPem, certPem: pki.server.certPem, keyPem: pki.server.keyPem, allowedSpiffeIds: [spiffeId], flaws }));
  }
  downUrl = `https://127.0.0.1:${await closedPort()}/hello`;
  mkdirSync(path.dirname(inventoryFile), { recursive: true });
  // Relative paths: they resolve against the inventory's folder, not the working directory.
  const relative = (file: string): string => path.relative(path.dirname(inventoryFile), file);
  const entries = servers.map((server, i) => [
    `  - name: svc-${String(i + 1).padStart(2, '0')}`,
    `    target: ${server.url}`,
    `    owner: team-${i % 3 === 0 ? 'core' : 'edge'}`,
    `    tags: [${(flawCycle[i % flawCycle.length] ?? []).length > 0 ? 'flawed' : 'correct'}, region-${i % 2}]`,
  ].join('\n'));
  writeFileSync(inventoryFile, [
    'defaults:',
    `  ca-cert: ${relative(caPath)}`,
    `  ca-key: ${relative(caKeyPath)}`,
    `  server-ca: ${relative(caPath)}`,
    `  spiffe-id: ${spiffeId}`,
    `  case: [${selectedCases.join(', ')}]`,
    'targets:',
    ...entries,
    '  - name: svc-down',
    `    target: ${downUrl}`,
    '    owner: team-core',
    '',
  ].join('\n'));
});

after(async () => {
  await Promise.all(servers.map((server) => server.close()));
  files?.remove();
  rmSync(root, { recursive: true, force: true });
});

const reportDir = (name: string): string => path.join(root, name);

function readResults(dir: string): FleetResults {
  return JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as FleetResults;
}

/** Each target's verdict and each of its scenarios' statuses: what "the same verdicts" means. */
function verdictsByTarget(results: FleetResults): Map<string, string> {
  return new Map(results.targets.map((t) => [t.name, `${t.verdict}: ${t.scenarios.map((s) => `${s.caseId}=${s.status}`).sort().join(' ')}`]));
}

describe('a 20-target fleet, whole and in two shards', () => {
  let whole: CliRun;

  before(async () => {
    whole = await runCli(['run', '--inventory', inventoryFile, '--concurrency', '2', '--report-dir', reportDir('whole')], 180_000);
  });

  it('runs every target: flawed ones fail, correct ones pass, the one that is down is inconclusive, and the exit code is the fleet\'s', () => {
    assert.equal(whole.code, 1, whole.stdout + whole.stderr);
    const results = readResults(reportDir('whole'));
    assert.equal(results.targets.length, 20);
    for (const [i, target] of results.targets.slice(0, 19).entries()) {
      const flawed = (flawCycle[i % flawCycle.length] ?? []).length > 0;
      assert.equal(target.verdict, flawed ? 'failed' : 'passed', `${target.name}: ${target.reason}`);
      assert.equal(target.scenarios.length, selectedCases.length, `${target.name} ran the selected cases`);
    }
    const down = results.targets.find((t) => t.name === 'svc-down');
    assert.equal(down?.verdict, 'inconclusive');
    assert.match(down?.reason ?? '', /connection refused/);
    assert.deepEqual(results.verdicts, { passed: 8, failed: 11, inconclusive: 1, error: 0 });
    assert.match(whole.stdout, /\[20\/20 targets, 95\/95 scenarios, ETA 0 s\]/, 'progress across the fleet');
    assert.match(whole.stdout, /mtlspec: 20 targets: 8 passed, 11 failed, 1 inconclusive, 0 error in/);
  });

  it('writes one report: a matrix page linking each target\'s own page, junit with one testsuite per target', () => {
    const dir = reportDir('whole');
    const page = readFileSync(path.join(dir, 'index.html'), 'utf8');
    const links = [...page.matchAll(/href="(targets\/[^"]+\/index\.html)"/g)].map((m) => m[1] ?? '');
    assert.equal(links.length, 20);
    for (const link of links.filter((l) => !l.includes('svc-down'))) assert.ok(existsSync(path.join(dir, link)), `${link} exists`);
    assert.match(page, /id="filter"/);
    assert.match(page, /data-search="svc-02 team-edge flawed region-1 https:/);
    const junit = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(path.join(dir, 'junit.xml'), 'utf8')) as { testsuites: { testsuite: Array<{ '@_name': string; '@_failures': string }> } };
    const suites = junit.testsuites.testsuite;
    assert.equal(suites.length, 20);
    assert.equal(suites.find((s) => s['@_name'] === 'mtlspec svc-02')?.['@_failures'], '3', 'accept-any-cert fails the three refusal cases it lets through');
  });

  it('two shards, then merge: the same verdicts for every target, the same exit code', async () => {
    const [first, second] = await Promise.all([
      runCli(['run', '--inventory', inventoryFile, '--shard', '1/2', '--concurrency', '1', '--quiet', '--report-dir', reportDir('shard-1')], 180_000),
      // The second as a Kubernetes Indexed Job's pod would run it (its index counts from 0).
      runCli(['run', '--inventory', inventoryFile, '--shards', '2', '--concurrency', '1', '--quiet', '--report-dir', reportDir('shard-2')], { timeoutMs: 180_000, env: { JOB_COMPLETION_INDEX: '1' } }),
    ]);
    assert.equal(readResults(reportDir('shard-1')).targets.length + readResults(reportDir('shard-2')).targets.length, 20, first.stdout + second.stdout);
    assert.deepEqual(readResults(reportDir('shard-2')).shard, { index: 2, count: 2 });
    const merge = await runCli(['merge', reportDir('shard-1'), reportDir('shard-2'), '--report-dir', reportDir('merged')]);
    assert.equal(merge.code, whole.code, merge.stdout + merge.stderr);
    const merged = readResults(reportDir('merged'));
    assert.deepEqual(verdictsByTarget(merged), verdictsByTarget(readResults(reportDir('whole'))));
    assert.equal(readdirSync(path.join(reportDir('merged'), 'targets')).length, 20, "every target's folder came along");
  });
});

describe('fleet mistakes: one line, exit 2, before any probe', () => {
  function assertRefused(run: CliRun, pattern: RegExp, dir?: string): void {
    assert.equal(run.code, 2, run.stdout + run.stderr);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0] ?? '', pattern);
    if (dir) assert.ok(!existsSync(dir), 'no report folder: nothing ran');
  }

  function inventory(name: string, text: string): string {
    const file = path.join(root, 'bad', name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    return file;
  }

  it('a bad entry names the entry and the field', async () => {
    const target = `target: ${downUrl}`;
    const cases: Array<[string, RegExp]> = [
      [`targets:\n  - name: a\n    ${target}\n    ca-cert: missing.pem\n    ca-key: missing.key\n`, /target 1 \("a"\): --ca-cert .*bad\/missing\.pem does not exist$/],
      [`targets:\n  - name: a\n    ${target}\n    client-cert: x\n  - name: b\n    ${target}\n    colour: blue\n`, /target 2 \("b"\): field "colour" is not an option of mtlspec run/],
      [`targets:\n  - name: a\n    ${target}\n    timeout: [1]\n`, /target 1 \("a"\): field "timeout" must be a string, a number or true\/false/],
      [`targets:\n  - name: a\n    ${target}\n  - name: a\n    ${target}\n`, /targets 1 and 2 are both named "a"/],
      [`targets:\n  - name: a\n    ${target}\n    report-dir: x\n`, /field "report-dir" applies to the whole fleet run/],
      [`defaults:\n  profile: nope\ntargets:\n  - name: a\n    ${target}\n    ca-cert: x\n`, /target 1 \("a"\): --profile "nope" is not a profile/],
      ['targets: []\n', /needs a non-empty targets: list/],
      ['targets:\n  - [1, 2\n', /does not parse/],
    ];
    const runs = await Promise.all(cases.map(([text], i) => runCli(['run', '--inventory', inventory(`bad-${i}.yaml`, text), '--report-dir', reportDir(`bad-${i}`)])));
    runs.forEach((run, i) => assertRefused(run, cases[i]?.[1] ?? /never/, reportDir(`bad-${i}`)));
  });

  it('shards and fleet flags that cannot work', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['--shard', '3/2'], {}, /--shard 3\/2: the shard must be 1 to 2 of 2/],
      [['--shard', 'two'], {}, /--shard "two" is not I\/N/],
      // A CI matrix sets the shard through the environment.
      [[], { MTLSPEC_SHARD: '5/4' }, /--shard 5\/4: the shard must be 1 to 4 of 4/],
      [['--shards', '4'], {}, /--shards 4 takes the shard from JOB_COMPLETION_INDEX .*which is not set/],
      [['--shards', '4'], { JOB_COMPLETION_INDEX: '4' }, /JOB_COMPLETION_INDEX=4 with --shards 4: the shard must be 1 to 4 of 4/],
      [['--target', downUrl], {}, /--target describes one target; with --inventory give it in the inventory/],
      [['--http1'], {}, /--http1 describes one target/],
      [['--write-baseline', 'b.json'], {}, /--write-baseline records one run's findings/],
      [['--concurrency', '0'], {}, /--concurrency must be a whole number from 1 to 64/],
    ];
    const runs = await Promise.all(cases.map(([args, env], i) => runCli(['run', '--inventory', inventoryFile, ...args, '--report-dir', reportDir(`flags-${i}`)], { env })));
    runs.forEach((run, i) => assertRefused(run, cases[i]?.[2] ?? /never/, reportDir(`flags-${i}`)));
    assertRefused(await runCli(['run', '--shard', '1/2']), /--shard needs --inventory/);
  });

  it('merge: a missing, repeated or foreign shard, and a folder that is no fleet report', async () => {
    const shard = (name: string, index: number, count: number, digest = 'abc'): string => {
      const dir = reportDir(`fake-${name}`);
      mkdirSync(dir, { recursive: true });
      const results = { kind: 'mtlspec-fleet', startedAt: new Date().toISOString(), wallMs: 1, inventory: { file: 'x.yaml', digest, targets: 3 }, shard: { index, count }, targets: [] };
      writeFileSync(path.join(dir, 'results.json'), JSON.stringify(results));
      return dir;
    };
    const [a, b, c, foreign] = [shard('a', 1, 3), shard('b', 2, 3), shard('b2', 2, 3), shard('f', 3, 3, 'other')];
    const single = reportDir('fake-single');
    mkdirSync(single, { recursive: true });
    writeFileSync(path.join(single, 'results.json'), JSON.stringify({ tool: { name: 'mtlspec' }, scenarios: [] }));
    const cases: Array<[string[], RegExp]> = [
      [[a, b], /missing shard 3\/3: merge needs every shard's report folder/],
      [[a, b, c], /shard 2\/3 is given twice: .*fake-b and .*fake-b2/],
      [[a, b, foreign], /fake-f is from another inventory/],
      [[a, single], /fake-single\/results\.json is not a fleet's results/],
      [[a, reportDir('fake-none')], /fake-none holds no results\.json/],
    ];
    const runs = await Promise.all(cases.map(([dirs], i) => runCli(['merge', ...dirs, '--report-dir', reportDir(`merge-${i}`)])));
    runs.forEach((run, i) => assertRefused(run, cases[i]?.[1] ?? /never/, reportDir(`merge-${i}`)));
  });
});
