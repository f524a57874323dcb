import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { renderJunit } from '../src/report/junit.js';
import type { RunResults } from '../src/report/run-results.js';
import { runCli } from './support/cli.js';

/** junit.xml as CI systems read it: parsed with an XML parser, not grepped. */
interface Testcase {
  '@_classname': string;
  '@_name': string;
  failure?: { '@_message': string };
  skipped?: { '@_message': string };
  error?: { '@_message': string };
  'system-out'?: string;
}
interface Testsuite {
  '@_name': string;
  '@_tests': string;
  '@_failures': string;
  '@_skipped': string;
  testcase: Testcase[];
}

const parser = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testsuite' || name === 'testcase' });
const reportRoot = mkdtempSync(path.join(tmpdir(), 'mtlspec-junit-'));
after(() => rmSync(reportRoot, { recursive: true, force: true }));

describe('junit.xml', () => {
  it('one testsuite per target, one testcase per case named by its id, the reason as the failure message', async () => {
    const reportDir = path.join(reportRoot, 'run');
    const run = await runCli(['run', '--flaw', 'ignore-expiry', '--case', 'x509/validity', '--case', 'tls/no-client-cert', '--case', 'x509/crypto/key/ed25519', '--tags', '@grpc or @http2', '--quiet', '--report-dir', reportDir]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const text = readFileSync(path.join(reportDir, 'junit.xml'), 'utf8');
    assert.equal(XMLValidator.validate(text), true);
    const doc = parser.parse(text) as { testsuites: { '@_tests': string; '@_failures': string; testsuite: Testsuite[] } };
    assert.equal(doc.testsuites['@_tests'], '10');
    assert.equal(doc.testsuites['@_failures'], '4');
    assert.deepEqual(doc.testsuites.testsuite.map((s) => s['@_name']).sort(), ['mtlspec grpc', 'mtlspec http2']);
    for (const suite of doc.testsuites.testsuite) {
      const target = suite['@_name'].split(' ')[1] ?? '';
      assert.equal(suite['@_tests'], '5');
      assert.equal(suite['@_failures'], '2');
      assert.deepEqual(
        suite.testcase.map((c) => c['@_name']).sort(),
        ['tls/no-client-cert', 'x509/crypto/key/ed25519', 'x509/validity/expired', 'x509/validity/expires-soon', 'x509/validity/not-yet-valid'],
      );
      for (const testcase of suite.testcase) {
        assert.equal(testcase['@_classname'], `mtlspec.${target}`);
        assert.match(testcase['system-out'] ?? '', /Rule: RFC [\d.]+ [\d.]+ \((MUST|SHOULD|INFO)\)\n/);
        assert.doesNotMatch(testcase['system-out'] ?? '', /PRIVATE KEY/);
      }
      const failed = suite.testcase.filter((c) => c.failure).map((c) => c['@_name']).sort();
      assert.deepEqual(failed, ['x509/validity/expired', 'x509/validity/not-yet-valid']);
      const expired = suite.testcase.find((c) => c['@_name'] === 'x509/validity/expired');
      assert.match(expired?.failure?.['@_message'] ?? '', /^the target accepted a connection it must refuse/);
    }
  });

  it('stays well-formed whatever bytes a target sends, and marks inconclusive cases skipped', () => {
    const hostile = 'x <y> & "z" ]]> \u0000\u0007 done';
    const results: RunResults = {
      tool: { name: 'mtlspec', version: '0' }, startedAt: '2026-01-01T00:00:00.000Z', wallMs: 5, targets: [], strict: false, flaws: [],
      totals: { passed: 0, warning: 0, failed: 1, inconclusive: 1, skipped: 0, info: 0, error: 0 },
      scenarios: [
        { name: 'a', status: 'failed', why: hostile, durationMs: 1, retries: 0 },
        { name: 'b', status: 'inconclusive', why: 'no answer', durationMs: 2, retries: 0 },
      ],
    };
    const text = renderJunit(results);
    assert.equal(XMLValidator.validate(text), true, text);
    const doc = parser.parse(text) as { testsuites: { testsuite: Testsuite[] } };
    const [suite] = doc.testsuites.testsuite;
    assert.equal(suite?.testcase[0]?.failure?.['@_message'], 'x <y> & "z" ]]> \uFFFD\uFFFD done');
    assert.equal(suite?.testcase[1]?.skipped?.['@_message'], 'inconclusive: no answer');
    assert.equal(suite?.['@_skipped'], '1');
  });
});
