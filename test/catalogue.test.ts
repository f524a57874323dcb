import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cases } from '../fixtures/cases.js';
import { findCase, selectCases } from '../src/catalogue/case.js';
import { featureFiles } from '../src/run/run-suite.js';
import { featuresDir } from '../src/paths.js';

/** One Examples row of a feature file, with what its outline expects. */
interface FeatureRow {
  file: string;
  protocolTag: string;
  expectation: 'accepted' | 'rejected' | 'observed' | 'server';
  caseId: string;
  rule: string;
}

/** Reads the Examples tables the way a person does: outline's Then step, protocol tag, rows. */
function featureRows(): FeatureRow[] {
  const rows: FeatureRow[] = [];
  for (const file of readdirSync(featuresDir).filter((f) => f.endsWith('.feature'))) {
    let expectation: FeatureRow['expectation'] | undefined;
    let protocolTag = '';
    for (const line of readFileSync(path.join(featuresDir, file), 'utf8').split('\n').map((l) => l.trim())) {
      if (line.startsWith('Then the target accepts')) expectation = 'accepted';
      else if (line.startsWith('Then the target refuses')) expectation = 'rejected';
      else if (line.startsWith('Then the target answers')) expectation = 'observed';
      else if (line.startsWith("Then the server's certificate")) expectation = 'server';
      else if (/^@(grpc|http2|tls|pinned|grpc-jwt|http2-jwt)$/.test(line)) protocolTag = line.slice(1);
      const cells = line.match(/^\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|$/);
      if (cells && cells[2] !== 'case' && expectation) rows.push({ file, protocolTag, expectation, caseId: cells[2] ?? '', rule: cells[3] ?? '' });
    }
  }
  return rows;
}

describe('the catalogue', () => {
  const rows = featureRows();

  it('has at least 40 cases with unique ids, each citing a rule', () => {
    assert.ok(cases.length >= 40, `${cases.length} cases`);
    assert.equal(new Set(cases.map((c) => c.id)).size, cases.length);
    for (const c of cases) {
      // A section only where it was checked (docs/rules.md); Mozilla's guidelines are named by configuration.
      assert.match(c.rule, /^(RFC \d+( [\d.]+)?|SPIFFE[\w -]* [\d.]+|NIST SP [\dA-Za-z-]+( Rev\. \d+)?( [\d.]+)?|Mozilla Server Side TLS: (modern|intermediate))$/, c.id);
      assert.ok(c.title.length > 10, `${c.id} has a title`);
    }
  });

  it('every feature row names a catalogue case, with its rule and expectation', () => {
    for (const row of rows) {
      const found = cases.find((c) => c.id === row.caseId);
      assert.ok(found, `${row.file}: unknown case ${row.caseId}`);
      assert.equal(row.rule, found.rule, `${row.file}: ${row.caseId} rule`);
      assert.equal(row.expectation, found.kind === 'server' ? 'server' : found.expect, `${row.file}: ${row.caseId} expectation`);
    }
  });

  it('every case runs on gRPC and HTTP/2, and on raw TLS unless it is about HTTP/2 itself; pinned cases on the pinned server; token cases on both token targets; balancer and proxy cases on HTTP', () => {
    for (const c of cases) {
      const protocols = new Set(rows.filter((r) => r.caseId === c.id).map((r) => r.protocolTag));
      const tokenCase = c.kind === 'client' && c.token !== undefined;
      // Balancer and proxy cases read the application's HTTP answer and send HTTP headers: HTTP/2 (https://, which speaks HTTP/1.1 too).
      const wanted = tokenCase ? ['grpc-jwt', 'http2-jwt'] : c.id.startsWith('pinned/') ? ['pinned'] : c.id === 'tls/alpn/h2' ? ['grpc', 'http2'] : /^(lb|proxy)\//.test(c.id) ? ['http2'] : ['grpc', 'http2', 'tls'];
      assert.deepEqual([...protocols].sort(), wanted.sort(), c.id);
    }
  });

  it('a run of selected cases reads exactly the feature files that have rows for them', () => {
    for (const c of cases) {
      const expected = [...new Set(rows.filter((r) => r.caseId === c.id).map((r) => r.file))].sort();
      assert.deepEqual(featureFiles([c.id]).map((f) => path.basename(f)).sort(), expected, c.id);
    }
    assert.equal(featureFiles([]).length, new Set(rows.map((r) => r.file)).size, 'no selection: every file');
  });

  it('explains an unknown id', () => {
    assert.throws(() => findCase(cases, 'x509/nope'), /unknown case "x509\/nope"; known cases: x509\/valid/);
  });

  it('selects cases by id or by a prefix ending at a "/"', () => {
    assert.deepEqual(selectCases(cases, ['x509/validity']).map((c) => c.id).sort(), ['x509/validity/expired', 'x509/validity/expires-soon', 'x509/validity/not-yet-valid']);
    assert.deepEqual(selectCases(cases, ['x509/validity/expired']).map((c) => c.id), ['x509/validity/expired']);
    assert.deepEqual(selectCases(cases, ['x509/valid']).map((c) => c.id), ['x509/valid'], 'no match across a word');
    assert.equal(selectCases(cases, ['nope']).length, 0);
  });
});
