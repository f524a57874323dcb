import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadInventory } from '../src/fleet/inventory.js';
import { argumentsFor } from '../src/fleet/fleet-entries.js';
import { secretsOffTheCommandLine } from '../src/fleet/target-child.js';
import { entriesOf, shardFrom } from '../src/fleet/shard.js';
import { fleetExitCode } from '../src/fleet/fleet-results.js';
import { FleetProgress } from '../src/fleet/progress.js';
import { caseGroup, renderFleetPage } from '../src/fleet/fleet-page.js';
import { buildFleetResults } from '../src/fleet/fleet-results.js';
import { InputError } from '../src/run/inputs.js';

/** The fleet's pure parts: inventory reading, shards, progress, the exit code and the page's escaping. */
const dir = mkdtempSync(path.join(tmpdir(), 'mtlspec-fleet-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('inventory', () => {
  it('applies defaults (an entry wins), resolves paths against its own folder, and JSON reads like YAML', () => {
    const yaml = path.join(dir, 'inv.yaml');
    writeFileSync(yaml, 'defaults:\n  ca-cert: pki/ca.pem\n  owner: platform\n  tags: [prod]\n  timeout: 3000\ntargets:\n  - target: https://a:1/\n  - name: b\n    target: https://b:1/\n    timeout: 900\n    owner: team-b\n    ca-cert: /abs/ca.pem\n    case: x509/valid\n');
    const inventory = loadInventory(yaml);
    const [a, b] = inventory.entries;
    assert.equal(a?.name, 'https://a:1/', 'a nameless entry is named by its target');
    assert.equal(a?.owner, 'platform');
    assert.deepEqual(a?.tags, ['prod']);
    assert.equal(a?.options['ca-cert'], path.join(dir, 'pki/ca.pem'));
    assert.equal(a?.options['timeout'], 3000);
    assert.equal(b?.owner, 'team-b');
    assert.equal(b?.options['timeout'], 900);
    assert.equal(b?.options['ca-cert'], '/abs/ca.pem');
    assert.deepEqual(b?.options['case'], ['x509/valid']);
    const json = path.join(dir, 'inv.json');
    writeFileSync(json, JSON.stringify({ targets: [{ name: 'j', target: 'https://j:1/' }] }));
    assert.equal(loadInventory(json).entries[0]?.name, 'j');
    assert.notEqual(loadInventory(json).digest, inventory.digest);
  });

  it('argumentsFor keeps a value that starts with "-" a value, repeats lists, and leaves false flags out', () => {
    assert.deepEqual(argumentsFor({ send: '-PING', case: ['a', 'b'], http1: false, strict: true, timeout: 5 }), ['--send=-PING', '--case=a', '--case=b', '--strict', '--timeout=5']);
  });

  it("an entry's token reaches its child in MTLSPEC_TOKEN, never on the command line that ps shows", () => {
    const invocation = secretsOffTheCommandLine(argumentsFor({ target: 'https://127.0.0.1:1/', token: 'a.b.c', strict: true }), { PATH: '/bin' });
    assert.deepEqual(invocation.args, ['--target=https://127.0.0.1:1/', '--strict']);
    assert.deepEqual(invocation.env, { PATH: '/bin', MTLSPEC_TOKEN: 'a.b.c' });
    assert.deepEqual(secretsOffTheCommandLine(['--strict'], { PATH: '/bin' }), { args: ['--strict'], env: { PATH: '/bin' } });
  });
});

describe('shards', () => {
  it('--shard I/N, and JOB_COMPLETION_INDEX (from 0) with --shards N', () => {
    assert.deepEqual(shardFrom({ shard: '2/3', env: {} }), { index: 2, count: 3 });
    assert.deepEqual(shardFrom({ shards: 3, env: { JOB_COMPLETION_INDEX: '0' } }), { index: 1, count: 3 });
    assert.equal(shardFrom({ env: { JOB_COMPLETION_INDEX: '2' } }), undefined, 'the variable alone does not shard a run');
    for (const bad of ['0/2', '3/2', '1/0', '1', 'a/b']) assert.throws(() => shardFrom({ shard: bad, env: {} }), InputError, bad);
    assert.throws(() => shardFrom({ shard: '1/2', shards: 2, env: { JOB_COMPLETION_INDEX: '0' } }), /not both/);
  });

  it('every entry is in exactly one shard, for every shard count', () => {
    const entries = Array.from({ length: 23 }, (_, index) => ({ index }));
    for (let count = 1; count <= 7; count++) {
      const seen = Array.from({ length: count }, (_, i) => entriesOf(entries, { index: i + 1, count })).flat().map((e) => e.index).sort((x, y) => x - y);
      assert.deepEqual(seen, entries.map((e) => e.index), `${count} shards`);
      const sizes = Array.from({ length: count }, (_, i) => entriesOf(entries, { index: i + 1, count }).length);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `balanced: ${sizes.join(' ')}`);
    }
  });
});

describe('fleet verdicts', () => {
  it('the exit code: any failure, else a harness error, else an inconclusive target, else 0', () => {
    const of = (...verdicts: Array<'passed' | 'failed' | 'inconclusive' | 'error'>): number => fleetExitCode(verdicts.map((verdict) => ({ verdict })));
    assert.equal(of('passed', 'passed'), 0);
    assert.equal(of('passed', 'inconclusive'), 3);
    assert.equal(of('inconclusive', 'error'), 4);
    assert.equal(of('error', 'failed', 'inconclusive'), 1);
  });

  it('progress: targets and scenarios done, the total estimated from the targets seen so far', () => {
    const progress = new FleetProgress(4);
    assert.equal(progress.line(), '[0/4 targets, 0/? scenarios, ETA ?]');
    progress.scenario(0, 10, 40);
    progress.scenario(1, 30, 40);
    assert.match(progress.line(), /^\[0\/4 targets, 40\/160 scenarios, ETA \d+ s\]$/);
    progress.targetDone(2);
    assert.match(progress.line(), /^\[1\/4 targets, 40\/120 scenarios, /, 'a target that judged nothing has no scenarios left');
  });

  it('the page escapes what the inventory and targets wrote, and groups cases by their folder', () => {
    assert.equal(caseGroup('x509/validity/expired'), 'x509/validity');
    assert.equal(caseGroup('spiffe/wrong-id'), 'spiffe');
    const fleet = buildFleetResults({ startedAt: 'now', wallMs: 1, inventory: { file: 'i.yaml', digest: 'd', targets: 1 } }, [{
      name: '<img src=x onerror=alert(1)>', owner: '"><script>', tags: ['<b>'], index: 0, url: 'https://x/', verdict: 'failed', exitCode: 1, reason: '<i>', wallMs: 1, dir: 'targets/x-1',
      scenarios: [{ caseId: 'x509/validity/expired', protocol: 'http2', status: 'failed', why: '<script>alert(1)</script>' }],
    }]);
    const page = renderFleetPage(fleet);
    assert.doesNotMatch(page, /<img|<script>alert|"><script>|<b>|<i>/);
    assert.match(page, /<span>x509\/validity<\/span>/);
    assert.match(page, /class="c s-failed"[^>]*>failed 1\/1</);
  });
});
