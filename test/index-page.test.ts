import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Outcome } from '../src/probe/outcome.js';
import type { CertificateSummary } from '../src/report/certificate-summary.js';
import type { ScenarioRecord } from '../src/report/evidence.js';
import { evidenceAnchor, renderIndexPage } from '../src/report/index-page.js';
import type { ResultStatus, ScenarioResult } from '../src/report/results.js';
import type { RunResults } from '../src/report/run-results.js';
import type { TargetKey } from '../src/target/target.js';
import type { Verdict } from '../src/verdict/judge.js';

/**
 * The index page from a small hand-made run: no server, no browser. What a
 * browser shows is test/browser.e2e.test.ts's job; this checks the markup.
 */

const hostileBody = '<script>alert(1)</script>';

const certificate: CertificateSummary = {
  subject: 'CN=<img src=x onerror=alert(2)>, O=mtlspec',
  issuer: 'CN=mtlspec test CA, O=mtlspec',
  serial: '72FD71E08D53469DF9CEA9C0150F50CF',
  notBefore: '2026-10-27T11:59:22.000Z',
  notAfter: '2026-11-25T11:59:22.000Z',
  subjectAltNames: 'URI:spiffe://example.org/client',
  keyUsage: 'digitalSignature (critical)',
  extendedKeyUsage: 'clientAuth',
  basicConstraints: 'CA:FALSE (critical)',
  signatureAlgorithm: 'ECDSA with SHA-256',
  publicKey: 'ec prime256v1',
  sha256Fingerprint: '9D:40:3B:66',
};

const accepted: Outcome = {
  kind: 'accepted',
  tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', alpn: 'h2', closedBy: 'client', timings: { tcpConnectMs: 6.3, handshakeMs: 10.7, firstResponseMs: 21.3, totalMs: 21.6 } },
  app: { protocol: 'grpc', httpStatus: 200, grpcStatus: 0, grpcStatusName: 'OK', grpcMessage: 'OK', bodyExcerpt: hostileBody },
  detail: 'gRPC OK "OK": the call reached the application',
};

const refusedWithAlert: Outcome = {
  kind: 'rejected',
  stage: 'handshake',
  tls: { alert: { name: 'certificate_required', code: 116 }, closedBy: 'server', timings: { tcpConnectMs: 1, totalMs: 4 } },
  detail: 'the server sent the alert certificate_required',
};

const refusedSilently: Outcome = {
  kind: 'rejected',
  stage: 'first-read',
  tls: { version: 'TLSv1.3', closedBy: 'server', timings: { totalMs: 8 } },
  detail: 'the server closed the connection after the handshake without an alert',
};

function scenario(caseId: string, target: TargetKey, status: ResultStatus & Verdict['status'], why: string, outcome: Outcome, extra: Partial<Verdict> = {}): ScenarioResult {
  const record: ScenarioRecord = {
    caseId,
    title: `title of ${caseId}`,
    rule: 'RFC 5280 4.1.2.5',
    level: 'MUST',
    protocol: target,
    target: `grpcs://127.0.0.1:1/${target}?<evil>`,
    verdict: { status, why, expected: 'rejected (certificate_expired or bad_certificate)', observed: `${outcome.kind}: ${outcome.detail}`, ...extra },
    probe: { outcome, attempts: 1, clientCertificate: certificate },
    control: { outcome: accepted, attempts: 1 },
  };
  return { name: `${target} ${caseId}`, status, why, durationMs: 12, retries: 0, record };
}

const expiredWhy = 'the target accepted a connection it must refuse (gRPC OK "OK": the call reached the application)';
const noAlertWhy = 'the target refused as it must, but without an alert; RFC 8446 6.2 says it SHOULD send certificate_required';

const scenarios: ScenarioResult[] = [
  scenario('x509/valid', 'grpc', 'passed', 'the target accepted this connection, as it must', accepted),
  scenario('tls/no-client-cert', 'grpc', 'warning', noAlertWhy, refusedSilently, { alert: { expected: ['certificate_required'], observed: undefined, matches: false } }),
  scenario('tls/no-client-cert', 'http2', 'passed', 'the target refused this connection and accepted the valid control', refusedWithAlert, {
    alert: { expected: ['certificate_required'], observed: 'certificate_required (116)', matches: true },
  }),
  scenario('x509/validity/expired', 'grpc', 'failed', expiredWhy, accepted),
  { name: 'HTTP/2 refuses x509/chain/untrusted-ca', status: 'error', why: 'the scenario ended without a verdict (cucumber status UNDEFINED)', durationMs: 1, retries: 0 },
];

function runResults(list: readonly ScenarioResult[]): RunResults {
  const totals: Record<ResultStatus, number> = { passed: 0, warning: 0, failed: 0, inconclusive: 0, skipped: 0, info: 0, error: 0 };
  for (const s of list) totals[s.status] += 1;
  return {
    tool: { name: 'mtlspec', version: '9.9.9' },
    startedAt: '2026-11-26T11:59:20.847Z',
    wallMs: 10054,
    targets: [
      { key: 'grpc', url: 'grpcs://127.0.0.1:1/grpc?<evil>' },
      { key: 'http2', url: 'https://127.0.0.1:2/hello' },
    ],
    strict: false,
    flaws: ['ignore-expiry'],
    totals,
    scenarios: list,
  };
}

const page = renderIndexPage(runResults(scenarios));

/** The markup of the element that opens with `opening`, up to the first `closing` after it. */
function section(markup: string, opening: string, closing = '</section>'): string {
  const start = markup.indexOf(opening);
  assert.notEqual(start, -1, `the page has ${opening}`);
  return markup.slice(start, markup.indexOf(closing, start) + closing.length);
}

const escapedWhy = (why: string): string => why.replaceAll('"', '&quot;');

describe('the index page', () => {
  it('says the verdict and the run in the header', () => {
    assert.match(page, /<p class="verdict verdict-fail"[^>]*>1 failure, 1 error<\/p>/);
    assert.match(page, /<title>mtlspec: 1 failure, 1 error<\/title>/);
    assert.match(page, /mtlspec 9\.9\.9/);
    assert.match(page, /2026-11-26 11:59:20 UTC/);
    assert.match(page, /wall time 10\.05 s/);
    assert.match(page, /ignore-expiry/);
    assert.match(page, /<b>1<\/b> warnings/);
    assert.match(page, /href="conformance\.html"/);
    assert.match(page, /href="junit\.xml"/);
  });

  it('says all MUST cases passed when nothing failed', () => {
    const clean = renderIndexPage(runResults(scenarios.filter((s) => s.status === 'passed' || s.status === 'warning')));
    assert.match(clean, /verdict-pass[^>]*>all MUST cases passed \(1 SHOULD warning\)</);
    assert.match(section(clean, '<section id="failures"'), /None: no case failed/);
  });

  it('lists each failure and error in the failures box, with its why, before the matrix', () => {
    const failures = section(page, '<section id="failures"');
    assert.match(failures, /x509\/validity\/expired/);
    assert.ok(failures.includes(escapedWhy(expiredWhy)), 'the why of the failure');
    assert.match(failures, /gRPC/);
    assert.match(failures, /HTTP\/2 refuses x509\/chain\/untrusted-ca/, 'an error without a record, by its scenario name');
    assert.doesNotMatch(failures, /tls\/no-client-cert/, 'a warning is not a failure');
    assert.ok(page.indexOf('<section id="failures"') < page.indexOf('<table class="matrix"'));
  });

  it('lists SHOULD warnings apart, with their why', () => {
    const warnings = section(page, '<section id="warnings"');
    assert.match(warnings, /Warnings \(SHOULD\) \(1\)/);
    assert.match(warnings, /tls\/no-client-cert/);
    assert.ok(warnings.includes(noAlertWhy));
    assert.doesNotMatch(warnings, /x509\/validity\/expired/);
  });

  it('links every matrix cell to an evidence section that exists, one per scenario', () => {
    const matrix = section(page, '<table class="matrix"', '</table>');
    const links = [...matrix.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]);
    assert.equal(links.length, 4, 'one linked cell per scenario with a record');
    const ids = new Set([...page.matchAll(/<details id="([^"]+)"/g)].map((m) => m[1]));
    assert.equal(ids.size, scenarios.length, 'one evidence section per scenario');
    for (const link of links) assert.ok(ids.has(link), `#${link} exists`);
    assert.ok(links.includes(evidenceAnchor('x509/validity/expired', 'grpc')));
    assert.match(matrix, /<td class="cell s-failed"><a href="#ev-x509-validity-expired--grpc"[^>]*>FAIL<\/a><\/td>/, 'a failed cell says so in words too');
    assert.match(matrix, /<td class="cell absent"[^>]*><\/td>/, 'a case not run on a target is an empty cell');
  });

  it('keeps anchors slug-safe and groups the matrix by the first two path segments', () => {
    assert.equal(evidenceAnchor('x509/validity/expired', 'grpc'), 'ev-x509-validity-expired--grpc');
    for (const [, id] of page.matchAll(/ id="([^"]+)"/g)) assert.match(id ?? '', /^[A-Za-z0-9-]+$/);
    const groups = [...section(page, '<table class="matrix"', '</table>').matchAll(/<tr class="group"><th[^>]*>([^<]+)</g)].map((m) => m[1]);
    assert.deepEqual(groups, ['x509/valid', 'tls/no-client-cert', 'x509/validity']);
  });

  it('shows the evidence: expected vs observed, the alert, TLS, application and certificate facts', () => {
    const expired = section(page, `<details id="${evidenceAnchor('x509/validity/expired', 'grpc')}"`, '</details>');
    assert.match(expired, / open>/, 'a failure opens by itself');
    assert.match(expired, /<b>Expected:<\/b> rejected \(certificate_expired or bad_certificate\); <b>observed:<\/b> accepted: gRPC OK/);
    for (const fact of ['TLSv1.3', 'TLS_AES_256_GCM_SHA384', 'h2', 'mtlspec (the client)', 'handshake 10.7 ms', 'OK (0)', 'RFC 5280 4.1.2.5 (MUST)', '72FD71E08D53469DF9CEA9C0150F50CF', 'clientAuth', 'CA:FALSE (critical)', 'ECDSA with SHA-256', '9D:40:3B:66', '2026-11-25T11:59:22.000Z']) {
      assert.ok(expired.includes(fact), `the evidence shows ${fact}`);
    }
    const refused = section(page, `<details id="${evidenceAnchor('tls/no-client-cert', 'http2')}"`, '</details>');
    assert.match(refused, /certificate_required \(116\)/);
  });

  it('escapes everything a target or a user supplied', () => {
    assert.ok(!page.includes(hostileBody), 'the body excerpt is not live markup');
    assert.ok(page.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the body excerpt is shown, escaped');
    assert.ok(!page.includes('<img'), 'a subject is not live markup');
    assert.ok(page.includes('CN=&lt;img src=x onerror=alert(2)&gt;'));
    assert.ok(!page.includes('?<evil>'), 'URLs are escaped');
    assert.equal(page.match(/<script>/g)?.length, 1, 'the only script is the page’s own');
  });

  it('loads nothing from outside and holds no private key', () => {
    assert.doesNotMatch(page, /PRIVATE KEY/);
    assert.doesNotMatch(page, /<link|src="http|url\(http/);
    assert.match(page, /Content-Security-Policy" content="default-src &#39;none&#39;/);
  });
});
