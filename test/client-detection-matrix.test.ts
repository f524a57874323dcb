import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clientCases } from '../fixtures/client-cases.js';
import { packageRoot } from '../src/paths.js';
import type { ScenarioRecord } from '../src/report/evidence.js';
import { runCli } from './support/cli.js';
import { readRunResults } from './support/records.js';
import { buildGoClient, realClients } from './support/real-clients.js';

/**
 * `mtlspec client` tests itself against real clients from Debian, each
 * correct and with its usual flaw: every client must be caught by exactly
 * the cases written here, and nothing may be inconclusive. The table these
 * runs prove is written to docs/client-detection-matrix.md, which this test
 * keeps honest. A "caught" SHOULD case (the CN fallback) is a warning, not
 * a failure: the correct clients' runs still exit 0 unless a MUST case caught them.
 */

/** Every defect a client that verifies nothing accepts (all but the SPIFFE case, which needs --server-spiffe-id). */
const acceptsAnyServer = [
  'client/validity/expired', 'client/validity/not-yet-valid',
  'client/name/wrong-host', 'client/name/cn-only',
  'client/chain/untrusted-ca', 'client/chain/self-signed', 'client/chain/impostor-ca', 'client/chain/pathlen-exceeded', 'client/chain/issuer-not-ca',
  'client/usage/eku-client-auth-only',
  'client/crypto/rsa-1024', 'client/crypto/sha1-signature', 'client/crypto/md5-signature',
  'client/extensions/unknown-critical', 'client/extensions/name-constraints',
];

const expectedDetections: Record<string, readonly string[]> = {
  // OpenSSL's X509_check_host still falls back to the CN when there is no SAN (a SHOULD warning).
  curl: ['client/name/cn-only'],
  'curl -k': acceptsAnyServer,
  's_client -verify_return_error': ['client/name/cn-only'],
  s_client: acceptsAnyServer,
  'python ssl': ['client/name/cn-only'],
  'python CERT_NONE': acceptsAnyServer,
  // Go 1.19's crypto/x509 sets no minimum RSA size (Go 1.24 sets 1024 bits): a real weakness of its defaults.
  go: ['client/crypto/rsa-1024'],
  'go InsecureSkipVerify': acceptsAnyServer,
  // As go-spiffe: the server is authorized by its SPIFFE ID, not by a host name, and x509svid.Verify accepts any
  // extended key usage; so these two pass through by design (the SPIFFE ID in them is the authorized one).
  'go AuthorizeID': ['client/name/wrong-host', 'client/usage/eku-client-auth-only', 'client/crypto/rsa-1024'],
  // Node's bundled OpenSSL runs at security level 1, which admits a 1024-bit RSA key; and the CN fallback.
  'node tls': ['client/name/cn-only', 'client/crypto/rsa-1024'],
  'node rejectUnauthorized:false': acceptsAnyServer,
};

const matrixFile = path.join(packageRoot, 'docs/client-detection-matrix.md');
const reportRoot = mkdtempSync(path.join(tmpdir(), 'mtlspec-client-matrix-'));
after(() => rmSync(reportRoot, { recursive: true, force: true }));

const observed = new Map<string, readonly ScenarioRecord[]>();

describe('client detection matrix', () => {
  // Started now: the Go build overlaps the runs of the clients before it.
  before(() => void buildGoClient().catch(() => undefined));

  it('names every real client', () => {
    assert.deepEqual(Object.keys(expectedDetections).sort(), realClients.map((c) => c.name).sort());
  });

  describe('each client', { concurrency: 2 }, () => {
    for (const client of realClients) {
      it(`${client.name}: caught by exactly its cases, with nothing inconclusive`, async () => {
        const command = await client.command();
        const reportDir = path.join(reportRoot, client.name.replace(/[^A-Za-z0-9]+/g, '-'));
        const started = performance.now();
        const run = await runCli(['client', '--exec', command, '--report-dir', reportDir, ...(client.args ?? [])], 120_000);
        const seconds = ((performance.now() - started) / 1000).toFixed(2);
        // The wall time per client, in the test output: what each costs CI.
        console.log(`client-matrix: ${client.name}: ${seconds} s wall time (${command.split(' ')[0] ?? ''})`);
        const records = (readRunResults(reportDir)?.scenarios ?? []).flatMap((s) => (s.record ? [s.record] : []));
        const detected = records.filter((r) => r.verdict.expectationMet === false).map((r) => r.caseId).sort();
        const expected = [...(expectedDetections[client.name] ?? [])].sort();
        const mustCaught = records.some((r) => r.verdict.status === 'failed');
        assert.equal(run.code, mustCaught ? 1 : 0, `${client.name}: exit code\n${run.stdout.slice(-3000)}${run.stderr}`);
        const notJudged = records.filter((r) => r.verdict.status === 'inconclusive' || (r.verdict.status === 'skipped' && !r.caseId.startsWith('client/spiffe/')));
        assert.deepEqual(notJudged.map((r) => `${r.caseId}: ${r.verdict.why}`), [], `${client.name}: every case was judged`);
        assert.deepEqual(detected, expected, `${client.name}: the cases that caught it\n${run.stdout.slice(-3000)}`);
        observed.set(client.name, records);
      });
    }
  });

  it('docs/client-detection-matrix.md shows what these runs proved', () => {
    assert.equal(observed.size, realClients.length, 'every client ran');
    const generated = renderMatrix(observed);
    const committed = existsSync(matrixFile) ? readFileSync(matrixFile, 'utf8') : '';
    if (committed !== generated) {
      writeFileSync(matrixFile, generated);
      assert.fail('docs/client-detection-matrix.md was out of date and has been regenerated: review and commit it');
    }
  });
});

/** Cases down, clients across; a cell says what the client did with the case's server credential. */
function renderMatrix(results: ReadonlyMap<string, readonly ScenarioRecord[]>): string {
  const names = realClients.map((c) => c.name);
  const cell = (name: string, caseId: string): string => {
    const record = results.get(name)?.find((r) => r.caseId === caseId);
    if (!record) return '';
    const alert = record.probe?.outcome.tls.alert?.name;
    const refused = record.probe?.outcome.kind === 'rejected';
    switch (record.verdict.status) {
      case 'failed':
        return '**caught**';
      case 'warning':
        return record.verdict.expectationMet === false ? '**caught** (SHOULD)' : 'refused, no alert';
      case 'passed':
        return refused ? `refused${alert ? ` (${alert})` : ''}` : 'accepted';
      case 'info':
        return refused ? 'refused' : 'accepted';
      case 'skipped':
        return 'skip';
      default:
        return record.verdict.status;
    }
  };
  return [
    '# Client detection matrix',
    '',
    'Generated by `test/client-detection-matrix.test.ts` from real runs of',
    '`mtlspec client --exec` against real TLS clients from Debian, each correct and',
    'with its usual flaw. The test fails if this file is stale. "caught": the client',
    'sent application data over a server credential it must refuse; "refused (alert)":',
    'it refused, with the alert it sent (the SHOULD tier); "refused, no alert": it',
    'refused without one (a SHOULD warning); "accepted" on `client/valid` is the',
    'control. `client/chain/intermediate-missing` is INFO: recorded, never judged.',
    'Every client offers TLS 1.3 only, as the strict-tls13 profile asks. Only',
    '`go AuthorizeID` is given `--server-spiffe-id`, so the SPIFFE case is skipped',
    'for the others. The clients are in `test/support/real-clients.ts`.',
    '',
    `| case | level | ${names.map((n) => `\`${n}\``).join(' | ')} |`,
    `|---|---|${names.map(() => '---').join('|')}|`,
    ...clientCases.map((c) => `| \`${c.id}\` | ${c.level} | ${names.map((n) => cell(n, c.id)).join(' | ')} |`),
    '',
  ].join('\n');
}
