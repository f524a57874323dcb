import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cases } from '../fixtures/cases.js';
import { renderBaseline } from '../src/report/baseline.js';
import type { ScenarioRecord } from '../src/report/evidence.js';
import { gateLines } from '../src/report/gate-lines.js';
import type { ResultStatus, ScenarioResult } from '../src/report/results.js';
import { gatedExitCode, gateFindings } from '../src/run/finding-gate.js';
import { parseWaivers } from '../src/run/waivers.js';
import type { TargetKey } from '../src/target/target.js';

/** The gate reads a result's status and its record's case, target key and URL: nothing else of the record. */
function result(caseId: string, protocol: TargetKey, status: ResultStatus): ScenarioResult {
  const record = { caseId, protocol, target: `https://127.0.0.1:1/${protocol}` } as unknown as ScenarioRecord;
  return { name: `${caseId} over ${protocol}`, status, why: `${status} because`, durationMs: 1, retries: 0, record };
}

const now = new Date('2026-06-15T12:00:00Z');

describe('the finding gate', () => {
  it('a baseline accepts what it holds, names what is new, and what is gone only for cases this run judged', () => {
    const results = [result('x509/validity/expired', 'grpc', 'failed'), result('x509/usage/eku-server-auth-only', 'grpc', 'failed'), result('x509/validity/not-yet-valid', 'grpc', 'passed')];
    const baseline = {
      file: 'b.json',
      findings: [
        { case: 'x509/validity/expired', target: 'grpc', status: 'failed' as const },
        { case: 'x509/validity/not-yet-valid', target: 'grpc', status: 'failed' as const },
        { case: 'spiffe/wrong-id', target: 'grpc', status: 'failed' as const },
      ],
    };
    const gate = gateFindings(results, { waivers: [], baseline }, now);
    assert.deepEqual(gate.baseline?.known.map((f) => f.case), ['x509/validity/expired']);
    assert.deepEqual(gate.baseline?.new.map((f) => f.case), ['x509/usage/eku-server-auth-only']);
    // spiffe/wrong-id did not run here: not "gone", just not checked.
    assert.deepEqual(gate.baseline?.gone.map((f) => f.case), ['x509/validity/not-yet-valid']);
    assert.equal(gatedExitCode(gate), 1);
    assert.ok(gateLines(gate).includes('mtlspec: new finding, not in the baseline: x509/usage/eku-server-auth-only over grpc (failed)'));
  });

  it('with every failure waived, an inconclusive case still makes the run inconclusive (3), never a pass', () => {
    const results = [result('x509/validity/expired', 'grpc', 'failed'), result('x509/validity/not-yet-valid', 'grpc', 'inconclusive')];
    const waivers = parseWaivers([{ case: 'x509/validity', reason: 'accepted' }], cases);
    const gate = gateFindings(results, { waivers }, now);
    assert.equal(gate.waived.length, 1);
    assert.equal(gate.results[0]?.status, 'failed', 'the verdict stays');
    assert.equal(gatedExitCode(gate), 3);
  });

  it('a waiver holds through its expiry day, for its target only; after it, it waives nothing and fails the run', () => {
    const results = [result('x509/validity/expired', 'grpc', 'failed'), result('x509/validity/expired', 'http2', 'failed')];
    const onDay = gateFindings(results, { waivers: parseWaivers([{ case: 'x509/validity/expired', target: 'grpc', reason: 'r', expires: '2026-06-15' }], cases) }, now);
    assert.deepEqual(onDay.waived.map((r) => r.record?.protocol), ['grpc']);
    assert.equal(gatedExitCode(onDay), 1, 'http2 still fails');
    const after = gateFindings(results.slice(0, 1), { waivers: parseWaivers([{ case: 'x509/validity/expired', reason: 'r', expires: '2026-06-14' }], cases) }, now);
    assert.equal(after.waived.length, 0);
    assert.equal(after.expired.length, 1);
    assert.equal(gatedExitCode(after), 1);
  });

  it('a prefix waives only at a "/" boundary, as --case selects', () => {
    const results = [result('x509/usage/leaf-is-ca', 'grpc', 'failed')];
    assert.throws(() => parseWaivers([{ case: 'x509/usa', reason: 'r' }], cases), /matches no case/);
    assert.equal(gateFindings(results, { waivers: parseWaivers([{ case: 'x509/usage/', reason: 'r' }], cases) }, now).waived.length, 1);
  });

  it('--write-baseline accepts the run it records, and the file is sorted without duplicates', () => {
    const results = [result('x509/validity/expired', 'tls', 'failed'), result('x509/validity/expired', 'grpc', 'failed'), result('tls/no-client-cert', 'grpc', 'error')];
    const gate = gateFindings(results, { waivers: [], writeBaseline: 'b.json' }, now);
    assert.equal(gatedExitCode(gate), 0);
    const file = JSON.parse(renderBaseline([...gate.findings, ...gate.findings])) as { findings: Array<{ case: string; target: string }> };
    assert.deepEqual(file.findings.map((f) => `${f.case}@${f.target}`), ['tls/no-client-cert@grpc', 'x509/validity/expired@grpc', 'x509/validity/expired@tls']);
  });
});
