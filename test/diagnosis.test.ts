import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose } from '../src/diagnosis/diagnose.js';
import { hintedServers, rootCauseRules } from '../src/diagnosis/root-causes.js';
import { diagnosisLines } from '../src/diagnosis/terminal-lines.js';
import type { CertificatePresentation, Outcome } from '../src/probe/outcome.js';
import type { ScenarioRecord } from '../src/report/evidence.js';
import { renderIndexPage } from '../src/report/index-page.js';
import type { ScenarioResult } from '../src/report/results.js';
import { buildRunResults } from '../src/report/run-results.js';
import type { TargetKey } from '../src/target/target.js';
import type { Verdict } from '../src/verdict/judge.js';

/**
 * The root-cause rules over hand-built results: which cause each pattern of
 * verdicts and handshakes names, and, as much, which it must not name (from
 * inconclusive results, or when the evidence does not hold).
 */

const serverAllows = ['ECDSA+SHA256', 'RSA-PSS+SHA256'];

/** An outcome whose client flight went out: the server asked (sigalgs) or did not (none). */
function outcome(kind: 'accepted' | 'rejected', certificate: CertificatePresentation, options: { requested: boolean; version?: string }): Outcome {
  const tls = {
    version: options.version ?? 'TLSv1.3',
    timings: { totalMs: 5 },
    client: { flightSent: true, certificate, sharedSigalgs: options.requested ? serverAllows : [] },
  };
  return kind === 'accepted'
    ? { kind, tls, app: { protocol: 'http2', httpStatus: 200 }, detail: 'HTTP 200' }
    : { kind, stage: 'first-read', tls: { ...tls, alert: { name: 'unknown_ca', code: 48 }, closedBy: 'server' }, detail: 'alert unknown_ca' };
}

interface Spec {
  /** Did the target do what the case requires? undefined: the verdict judged nothing. */
  readonly met: boolean | undefined;
  /** Accepted or refused, as the probe saw it. */
  readonly probe: 'accepted' | 'rejected';
  readonly status?: Verdict['status'];
  readonly requested?: boolean;
  readonly version?: string;
  readonly target?: TargetKey;
}

function scenario(caseId: string, spec: Spec): ScenarioResult {
  const requested = spec.requested ?? true;
  const certificate: CertificatePresentation = caseId === 'tls/no-client-cert' ? 'none' : requested ? 'sent' : 'not-requested';
  const status = spec.status ?? (spec.met === undefined ? 'inconclusive' : spec.met ? 'passed' : 'failed');
  const target = spec.target ?? 'http2';
  const record: ScenarioRecord = {
    caseId,
    title: caseId,
    rule: 'RFC 5280',
    level: 'MUST',
    protocol: target,
    target: `https://127.0.0.1:1/${target}`,
    verdict: { status, why: 'hand-built', expected: 'x', observed: 'y', ...(spec.met === undefined ? {} : { expectationMet: spec.met }) },
    probe: { outcome: outcome(spec.probe, certificate, { requested, ...(spec.version ? { version: spec.version } : {}) }), attempts: 1 },
    control: { outcome: outcome('accepted', requested ? 'sent' : 'not-requested', { requested }), attempts: 1 },
  };
  return { name: caseId, status, why: 'hand-built', durationMs: 1, retries: 0, record };
}

const refused = (caseId: string, extra: Partial<Spec> = {}): ScenarioResult => scenario(caseId, { met: true, probe: 'rejected', ...extra });
const letIn = (caseId: string, extra: Partial<Spec> = {}): ScenarioResult => scenario(caseId, { met: false, probe: 'accepted', ...extra });
const valid = (extra: Partial<Spec> = {}): ScenarioResult => scenario('x509/valid', { met: true, probe: 'accepted', ...extra });

function causes(scenarios: readonly ScenarioResult[]): string[] {
  return diagnose(scenarios).map((c) => c.cause);
}

/** The correct server: every negative case refused, the valid one accepted. */
const correct = [
  valid(),
  refused('tls/no-client-cert'),
  refused('x509/chain/untrusted-ca'),
  refused('x509/chain/self-signed'),
  refused('x509/usage/eku-server-auth-only'),
  refused('x509/validity/expired'),
  refused('x509/crypto/rsa-1024'),
  refused('spiffe/wrong-id'),
  refused('tls/version/tls12', { version: undefined }),
];

function replacing(base: readonly ScenarioResult[], ...changes: ScenarioResult[]): ScenarioResult[] {
  const changed = new Set(changes.map((c) => c.record?.caseId));
  return [...base.filter((s) => !changed.has(s.record?.caseId)), ...changes];
}

describe('diagnosis rules', () => {
  it('a correct server gets no diagnosis', () => {
    assert.deepEqual(diagnose(correct), []);
  });

  it('a server that never sends a CertificateRequest: that one cause, read off the handshakes, explaining every certificate case', () => {
    const noRequest = [
      valid({ requested: false }),
      letIn('tls/no-client-cert', { requested: false }),
      letIn('x509/chain/untrusted-ca', { requested: false }),
      letIn('x509/chain/self-signed', { requested: false }),
      letIn('x509/usage/eku-server-auth-only', { requested: false }),
      letIn('x509/validity/expired', { requested: false }),
      letIn('x509/crypto/rsa-1024', { requested: false }),
      letIn('spiffe/wrong-id', { requested: false }),
      refused('tls/version/tls12', { requested: false }),
    ];
    const [cause, ...rest] = diagnose(noRequest);
    assert.equal(cause?.cause, 'no-certificate-request');
    assert.deepEqual(rest, [], 'the consequences are not causes of their own');
    assert.equal(cause.certainty, 'observed');
    assert.match(cause.evidence, /^no CertificateRequest in any of the 18 handshakes/);
    assert.deepEqual([...cause.cases].sort(), ['spiffe/wrong-id', 'tls/no-client-cert', 'x509/chain/self-signed', 'x509/chain/untrusted-ca', 'x509/crypto/rsa-1024', 'x509/usage/eku-server-auth-only', 'x509/validity/expired']);
    const hints = Object.fromEntries(cause.hints.map((h) => [h.server, h.setting]));
    assert.match(hints['nginx'] ?? '', /ssl_verify_client on;/);
    assert.match(hints['Go'] ?? '', /tls\.RequireAndVerifyClientCert/);
    assert.match(hints['Java'] ?? '', /setNeedClientAuth\(true\)/);
    assert.match(hints['Python'] ?? '', /ssl\.CERT_REQUIRED/);
    assert.match(hints['Istio'] ?? '', /PeerAuthentication.*STRICT/);
  });

  it('a server that does not request a certificate but also allows TLS 1.2 gets both causes', () => {
    const scenarios = [valid({ requested: false }), letIn('x509/chain/untrusted-ca', { requested: false }), letIn('tls/version/tls12', { requested: false, version: 'TLSv1.2' })];
    assert.deepEqual(causes(scenarios), ['no-certificate-request', 'legacy-tls-enabled']);
  });

  it('one handshake with a CertificateRequest is enough to withhold "does not request"', () => {
    const mixed = [valid({ requested: false }), letIn('x509/chain/untrusted-ca', { requested: false }), refused('x509/chain/self-signed', { requested: true })];
    assert.ok(!causes(mixed).includes('no-certificate-request'));
  });

  it('requests but does not require: no-client-cert accepted on a handshake that carried a CertificateRequest', () => {
    assert.deepEqual(causes(replacing(correct, letIn('tls/no-client-cert'))), ['certificate-not-required']);
  });

  it('accepts any CA: the foreign issuers let in, with what follows from it; usage and validity are not separate causes then', () => {
    const anyCa = replacing(correct, letIn('x509/chain/untrusted-ca'), letIn('x509/chain/self-signed'), letIn('x509/usage/eku-server-auth-only'), letIn('x509/validity/expired'), letIn('x509/crypto/rsa-1024'));
    const [cause, ...rest] = diagnose(anyCa);
    assert.equal(cause?.cause, 'any-ca-accepted');
    assert.equal(cause.certainty, 'likely');
    assert.deepEqual(rest, []);
    assert.match(cause.evidence, /issuers it does not trust \(x509\/chain\/untrusted-ca, x509\/chain\/self-signed\), and with them .*x509\/validity\/expired/);
  });

  it('checks the chain but not usage, not validity: each its own cause, only while the chain is provably verified', () => {
    assert.deepEqual(causes(replacing(correct, letIn('x509/usage/eku-server-auth-only'))), ['usage-not-checked']);
    assert.deepEqual(causes(replacing(correct, letIn('x509/validity/expired'))), ['validity-not-checked']);
    const chainUnknown = replacing(
      correct,
      letIn('x509/usage/eku-server-auth-only'),
      scenario('x509/chain/untrusted-ca', { met: undefined, probe: 'rejected' }),
      scenario('x509/chain/self-signed', { met: undefined, probe: 'rejected' }),
    );
    assert.deepEqual(causes(chainUnknown), [], 'an inconclusive chain case proves nothing either way');
  });

  it('weak keys or signatures accepted while the chain is verified', () => {
    const [cause] = diagnose(replacing(correct, letIn('x509/crypto/rsa-1024')));
    assert.equal(cause?.cause, 'weak-crypto-accepted');
    assert.match(cause.hints.find((h) => h.server === 'nginx')?.setting ?? '', /@SECLEVEL=2/);
  });

  it('no identity authorization: a wrong SPIFFE ID from the trusted CA let in', () => {
    const [cause] = diagnose(replacing(correct, letIn('spiffe/wrong-id')));
    assert.equal(cause?.cause, 'no-identity-authorization');
    const hints = Object.fromEntries(cause.hints.map((h) => [h.server, h.setting]));
    assert.match(hints['Envoy'] ?? '', /match_typed_subject_alt_names/);
    assert.match(hints['Istio'] ?? '', /AuthorizationPolicy.*principals/);
  });

  it('legacy TLS: names the negotiated versions', () => {
    const legacy = replacing(correct, letIn('tls/version/tls12', { version: 'TLSv1.2' }), letIn('tls/version/tls10', { version: 'TLSv1' }));
    const [cause] = diagnose(legacy);
    assert.equal(cause?.cause, 'legacy-tls-enabled');
    assert.match(cause.evidence, /negotiated TLSv1\.2, TLSv1\): tls\/version\/tls12, tls\/version\/tls10/);
    assert.match(cause.hints.find((h) => h.server === 'nginx')?.setting ?? '', /ssl_protocols TLSv1\.3;/);
  });

  it('never from inconclusive, skipped or error results', () => {
    const notJudged = [
      valid(),
      scenario('tls/no-client-cert', { met: undefined, probe: 'accepted' }),
      scenario('x509/chain/untrusted-ca', { met: undefined, probe: 'accepted', status: 'skipped' }),
      { ...letIn('tls/version/tls12', { version: 'TLSv1.2' }), status: 'error' as const },
    ];
    assert.deepEqual(diagnose(notJudged), []);
  });

  it('a SHOULD-level miss (a warning) is judged, and counts', () => {
    assert.deepEqual(causes(replacing(correct, letIn('x509/usage/eku-server-auth-only', { status: 'warning' }))), ['usage-not-checked']);
  });

  it('merges one cause across targets, listing each', () => {
    const onTwo = [...replacing(correct, letIn('tls/no-client-cert')), ...[valid({ target: 'grpc' }), letIn('tls/no-client-cert', { target: 'grpc' })]];
    const [cause] = diagnose(onTwo);
    assert.deepEqual(cause?.targets, ['http2', 'grpc']);
  });

  it('every cause names hints only for known servers, and at least three', () => {
    for (const rule of rootCauseRules) {
      const servers = Object.keys(rule.hints);
      assert.ok(servers.every((s) => (hintedServers as readonly string[]).includes(s)), rule.id);
      assert.ok(servers.length >= 3, `${rule.id} has ${servers.length} hints`);
    }
  });
});

describe('diagnosis output', () => {
  const diagnosis = diagnose(replacing(correct, letIn('tls/no-client-cert')));

  it('terminal: the cause, its evidence, a hint per server; --quiet: one line', () => {
    const lines = diagnosisLines(diagnosis, { quiet: false });
    assert.equal(lines[0], 'mtlspec: diagnosis: one root cause of the failures (each also in index.html and results.json)');
    assert.equal(lines[1], '  1. the server requests a client certificate but does not require one [observed; on http2]');
    assert.match(lines[2] ?? '', /^ {5}evidence: it sent a CertificateRequest/);
    assert.ok(lines.some((l) => /^ {7}Java {5}`setNeedClientAuth\(true\)`/.test(l)), lines.join('\n'));
    assert.deepEqual(diagnosisLines(diagnosis, { quiet: true }), ['mtlspec: root cause (observed): the server requests a client certificate but does not require one (http2)']);
    assert.deepEqual(diagnosisLines([], { quiet: false }), []);
  });

  it('results.json carries it; index.html shows it above the failures, escaped, settings as code', () => {
    const results = buildRunResults(replacing(correct, letIn('tls/no-client-cert')), { startedAt: new Date(0).toISOString(), wallMs: 1, strict: false, flaws: [] });
    assert.deepEqual(results.diagnosis?.map((c) => c.cause), ['certificate-not-required']);
    const hostile = { ...results, diagnosis: [{ ...diagnosis[0]!, evidence: '<script>alert(1)</script>', hints: [{ server: 'nginx' as const, setting: '`<b>x</b>` then <i>' }] }] };
    const html = renderIndexPage(hostile);
    assert.ok(html.indexOf('id="diagnosis"') < html.indexOf('id="failures"'), 'the diagnosis comes before the failures');
    assert.ok(!html.includes('<script>alert(1)'), 'evidence is escaped');
    assert.ok(html.includes('Evidence: &lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(html.includes('<code>&lt;b&gt;x&lt;/b&gt;</code> then &lt;i&gt;'));
    assert.ok(!renderIndexPage({ ...results, diagnosis: [] }).includes('id="diagnosis"'), 'no box without a cause');
  });
});
