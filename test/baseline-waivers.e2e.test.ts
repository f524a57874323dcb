import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { failingScenarios, runCli } from './support/cli.js';

/**
 * Baselines and waivers, through the CLI against the built-in servers with
 * deliberate flaws: the verdicts stay as judged, only which findings fail
 * the run changes, and every accepted finding is still shown.
 */
const root = mkdtempSync(path.join(tmpdir(), 'mtlspec-gate-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Two groups of cases, so one flaw can be baselined and another added later. */
const selection = ['--case', 'x509/validity', '--case', 'x509/usage/eku-server-auth-only', '--quiet'];
const reports = (name: string): string[] => ['--report-dir', path.join(root, name)];

describe('--write-baseline and --baseline', () => {
  const baseline = path.join(root, 'baseline.json');

  it('round trip: write, the same run again, then a new flaw: exits 0, 0, then 1 naming the new finding', async () => {
    const write = await runCli(['run', ...selection, '--flaw', 'ignore-expiry', '--write-baseline', baseline, ...reports('write')]);
    assert.equal(write.code, 0, write.stdout + write.stderr);
    assert.match(write.stdout, /baseline written to .*baseline\.json: 6 findings, accepted for this run/);
    const written = readFileSync(baseline, 'utf8');
    const findings = (JSON.parse(written) as { findings: Array<{ case: string; target: string; status: string }> }).findings;
    assert.deepEqual(findings.map((f) => `${f.case}@${f.target}`), [
      'x509/validity/expired@grpc', 'x509/validity/expired@http2', 'x509/validity/expired@tls',
      'x509/validity/not-yet-valid@grpc', 'x509/validity/not-yet-valid@http2', 'x509/validity/not-yet-valid@tls',
    ]);

    const same = await runCli(['run', ...selection, '--flaw', 'ignore-expiry', '--baseline', baseline, ...reports('same')]);
    assert.equal(same.code, 0, same.stdout + same.stderr);
    assert.match(same.stdout, /baseline .*baseline\.json: 6 known findings \(not failing the run\), 0 new, 0 gone/);
    assert.doesNotMatch(same.stdout, /new finding/);

    const worse = await runCli(['run', ...selection, '--flaw', 'ignore-expiry', '--flaw', 'ignore-eku', '--baseline', baseline, ...reports('worse')]);
    assert.equal(worse.code, 1, worse.stdout + worse.stderr);
    const named = [...worse.stdout.matchAll(/new finding, not in the baseline: (\S+) over (\S+) \(failed\)/g)].map((m) => `${m[1]}@${m[2]}`).sort();
    assert.deepEqual(named, ['x509/usage/eku-server-auth-only@grpc', 'x509/usage/eku-server-auth-only@http2', 'x509/usage/eku-server-auth-only@tls']);
    const results = JSON.parse(readFileSync(path.join(root, 'worse', 'results.json'), 'utf8')) as { gate: { baseline: { new: unknown[]; known: unknown[] } } };
    assert.equal(results.gate.baseline.new.length, 3);
    assert.equal(results.gate.baseline.known.length, 6);
  });

  it('reports a finding that has gone away, and a run with the same bytes writes the same baseline', async () => {
    const fixed = await runCli(['run', ...selection, '--baseline', baseline, ...reports('fixed')]);
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
    assert.match(fixed.stdout, /0 known findings \(not failing the run\), 0 new, 6 gone/);
    assert.match(fixed.stdout, /gone, in the baseline but no longer found: x509\/validity\/expired over grpc \(failed\)/);
    const again = path.join(root, 'again.json');
    const rewrite = await runCli(['run', ...selection, '--flaw', 'ignore-expiry', '--write-baseline', again, ...reports('again')]);
    assert.equal(rewrite.code, 0, rewrite.stdout + rewrite.stderr);
    assert.equal(readFileSync(again, 'utf8'), readFileSync(baseline, 'utf8'), 'stable: no timestamp, sorted');
  });

  it('a missing or malformed baseline is a usage error before any probe', async () => {
    const missing = await runCli(['run', ...selection, '--baseline', path.join(root, 'nope.json'), ...reports('missing')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^mtlspec: --baseline .*nope\.json does not exist\n$/);
    const malformed = path.join(root, 'malformed.json');
    writeFileSync(malformed, '{"mtlspec": "baseline", "version": 1, "findings": [{"case": "x"}]}');
    const bad = await runCli(['run', ...selection, '--baseline', malformed, ...reports('malformed')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^mtlspec: --baseline .* is not an mtlspec baseline .*finding 1 needs a case, a target and a status/);
    assert.equal(bad.stdout, '');
  });
});

describe('waivers in the config file', () => {
  const config = (name: string, text: string): string => {
    const file = path.join(root, name);
    writeFileSync(file, text);
    return file;
  };

  it('a waived failure is listed apart with its reason, skipped in JUnit, kept in results.json, and does not fail the run', async () => {
    const file = config('waived.yaml', [
      'waivers:',
      '  - case: x509/validity',
      '    reason: "clock checks are done by the gateway (ticket 42)"',
      '    expires: 2999-12-31',
      '',
    ].join('\n'));
    const run = await runCli(['run', '--config', file, ...selection, '--flaw', 'ignore-expiry', ...reports('waived')]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const waived = run.stdout.split('\n').filter((line) => line.startsWith('mtlspec: waived: '));
    assert.equal(waived.length, 6);
    assert.match(waived[0] ?? '', /x509\/validity\/\S+ over \S+ \(failed, not failing the run\): clock checks are done by the gateway \(ticket 42\) \(until 2999-12-31\)/);
    const junit = readFileSync(path.join(root, 'waived', 'junit.xml'), 'utf8');
    assert.match(junit, /name="x509\/validity\/expired"[^>]*>\s*<skipped message="waived \(failed: the target accepted a connection it must refuse[^"]*\): clock checks are done by the gateway \(ticket 42\)"/);
    assert.doesNotMatch(junit, /<failure /);
    const results = JSON.parse(readFileSync(path.join(root, 'waived', 'results.json'), 'utf8')) as { scenarios: Array<{ status: string; waiver?: { reason: string } }> };
    const kept = results.scenarios.filter((s) => s.waiver);
    assert.equal(kept.length, 6);
    assert.ok(kept.every((s) => s.status === 'failed'), 'the original verdict stays');
    const index = readFileSync(path.join(root, 'waived', 'index.html'), 'utf8');
    assert.match(index, /Waived \(6\)/);
    assert.match(index, /6 failures waived/);
  });

  it('a waiver for one target leaves the others failing', async () => {
    const file = config('one-target.json', JSON.stringify({ waivers: [{ case: 'x509/validity', target: 'http2', reason: 'accepted on the admin port' }] }));
    const run = await runCli(['run', '--config', file, ...selection, '--flaw', 'ignore-expiry', ...reports('one-target')]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(run.stdout.split('\n').filter((line) => line.startsWith('mtlspec: waived: ')).length, 2);
  });

  it('an expired waiver fails the run with a line naming it', async () => {
    const file = config('expired.yaml', 'waivers:\n  - case: x509/validity/expired\n    reason: accepted until the CA moves\n    expires: 2020-01-31\n');
    const run = await runCli(['run', '--config', file, ...selection, ...reports('expired')]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.deepEqual(failingScenarios(run.stdout), []);
    assert.match(run.stdout, /mtlspec: expired waiver \(fails the run\): x509\/validity\/expired: accepted until the CA moves; it expired after 2020-01-31/);
  });

  it('a malformed waiver is one line on stderr and exit 2', async () => {
    const cases: Array<[string, RegExp]> = [
      ['waivers:\n  - case: x509/validity\n', /waiver 1 \(x509\/validity\) needs a reason/],
      ['waivers:\n  - case: x509/nothing-here\n    reason: r\n', /waiver 1: case "x509\/nothing-here" matches no case/],
      ['waivers:\n  - case: x509/validity\n    reason: r\n    expires: 2026-02-30\n', /expires must be a date as YYYY-MM-DD/],
      ['waivers:\n  - case: x509/validity\n    reason: r\n    target: ftp\n', /target must be one of grpc, http2/],
      ['waivers:\n  - case: x509/validity\n    reason: r\n    until: 2030-01-01\n', /unknown key "until"/],
      ['waivers: x509/validity\n', /waivers must be a list/],
    ];
    for (const [index, [text, message]] of cases.entries()) {
      const run = await runCli(['run', '--config', config(`malformed-${index}.yaml`, text), ...selection, ...reports(`malformed-${index}`)]);
      assert.equal(run.code, 2, `${text}\n${run.stdout}${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    }
  });
});

describe('--profile', () => {
  it('tls12-modern records a server that accepts TLS 1.2 instead of failing it; the default fails it', async () => {
    const strict = await runCli(['run', '--case', 'tls/version/tls12', '--flaw', 'allow-tls12', ...reports('strict')]);
    assert.equal(strict.code, 1, strict.stdout + strict.stderr);
    const failing = failingScenarios(strict.stdout);
    for (const target of ['grpc', 'http2', 'tls']) assert.ok(failing.includes(`tls/version/tls12@${target}`), `${target}: ${failing.join(', ')}`);
    const relaxed = await runCli(['run', '--profile', 'tls12-modern', '--case', 'tls/version/tls12', '--flaw', 'allow-tls12', ...reports('relaxed')]);
    assert.equal(relaxed.code, 0, relaxed.stdout + relaxed.stderr);
    assert.match(relaxed.stdout, /INFO\s+tls\/version\/tls12 over grpc \(\d+ ms\): informational: the target accepted it/);
    const results = JSON.parse(readFileSync(path.join(root, 'relaxed', 'results.json'), 'utf8')) as { scenarios: Array<{ record: { level: string; rule: string } }> };
    assert.ok(results.scenarios.every((s) => s.record.level === 'INFO' && s.record.rule === 'Mozilla Server Side TLS: intermediate'));
  });

  it('comes from MTLSPEC_PROFILE too; an unknown one is exit 2 listing the profiles', async () => {
    const env = await runCli(['run', '--case', 'tls/version/tls12', '--flaw', 'allow-tls12', '--quiet', ...reports('env')], { env: { MTLSPEC_PROFILE: 'tls12-modern' } });
    assert.equal(env.code, 0, env.stdout + env.stderr);
    const unknown = await runCli(['run', '--profile', 'tls14-only', ...reports('unknown')]);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, 'mtlspec: --profile "tls14-only" is not a profile; profiles: strict-tls13, tls12-modern\n');
  });
});
