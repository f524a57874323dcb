import assert from 'node:assert/strict';
import { failingScenarios, scenarioLines, scenariosMarked, type CliRun } from './cli.js';

/**
 * What the end-to-end runs against real third-party servers assert about a
 * run: its exit code and the exact sets of FAIL, SKIP and INCONCLUSIVE
 * lines. Shared by external-targets and real-servers, which differ only in
 * the servers they start.
 */

export interface ExpectedVerdicts {
  code: number;
  /** Exact ids of the FAIL lines (the target's one protocol is implied). */
  failing: readonly string[];
  /** Exact ids of the SKIP lines. */
  skipped: readonly string[];
  /** Exact ids of the INCONCLUSIVE lines; none unless given. */
  inconclusive?: readonly string[];
  /** Exact ids of the WARN lines (SHOULD findings: a missing or unexpected alert); not checked unless given. */
  warned?: readonly string[];
  /** How many INFO scenarios: the 5 key-type cases, plus any case a --profile records rather than judges. */
  informational?: number;
}

/**
 * Skipped, with the reason, unless the run declares the target's policy:
 * the SPIFFE cases without --spiffe-id, the CRL case without
 * --target-has-crl, the server's SPIFFE ID without --server-spiffe-id.
 */
export const spiffeCases = ['spiffe/wrong-id', 'spiffe/wrong-trust-domain', 'spiffe/two-uri-sans', 'spiffe/non-spiffe-uri', 'spiffe/root-path', 'spiffe/svid-is-ca', 'spiffe/keycertsign-on-leaf'];
export const undeclared = ['x509/revocation/revoked', 'server/spiffe/id'];
export const skippedByDefault = [...undeclared, ...spiffeCases];

/** Every refusal that rests on verifying the certificate chain, as OpenSSL does it. */
export const verificationCases = [
  'x509/chain/bad-signature', 'x509/chain/impostor-ca', 'x509/chain/intermediate-missing', 'x509/chain/issuer-not-ca',
  'x509/chain/issuer-without-keycertsign', 'x509/chain/self-signed', 'x509/chain/untrusted-ca',
  'x509/crypto/md5-signature', 'x509/crypto/rsa-1024', 'x509/crypto/sha1-signature',
  'x509/usage/eku-code-signing-only', 'x509/usage/eku-server-auth-only', 'x509/usage/ku-without-digital-signature', 'x509/usage/unknown-critical-extension',
  'x509/validity/expired', 'x509/validity/not-yet-valid',
];

/** The verdict lines and the summary, for t.diagnostic: a passing run still shows what it saw and how long each probe took. */
export function verdictLines(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => /^\s+(\[\s*\d+\/\d+\]\s+)?[A-Z]+\s+\S+ over |^mtlspec: \d+ scenarios/.test(l))
    .map((l) => l.trim());
}

/** The protocol name the terminal lines use for a target URL. */
export function protocolOf(url: string): 'tls' | 'http2' | 'grpc' {
  return url.startsWith('tls:') ? 'tls' : url.startsWith('grpcs:') ? 'grpc' : 'http2';
}

/**
 * Asserts the exact FAIL, SKIP and INCONCLUSIVE sets (and WARN, when given), the summary line that
 * counts them (5 informational: the key-type cases) and the exit code;
 * `why` is printed on any mismatch.
 */
export function assertVerdicts(run: CliRun, url: string, expected: ExpectedVerdicts, why: string): void {
  const protocol = protocolOf(url);
  const keys = (ids: readonly string[]): string[] => ids.map((id) => `${id}@${protocol}`).sort();
  const inconclusive = expected.inconclusive ?? [];
  // A line per scenario, so no verdict hides from the sets below; and every
  // line names the target's protocol: another one would be a run against the wrong thing.
  const total = /^mtlspec: (\d+) scenarios/m.exec(run.stdout)?.[1];
  assert.ok(total !== undefined, `no summary line: the run stopped before the scenarios\n${why}`);
  const lines = scenarioLines(run.stdout);
  assert.equal(lines.length, Number(total), why);
  assert.deepEqual([...new Set(lines.map((l) => l.target))], [protocol], why);
  assert.deepEqual(failingScenarios(run.stdout), keys(expected.failing), why);
  assert.deepEqual(scenariosMarked(run.stdout, 'SKIP'), keys(expected.skipped), why);
  assert.deepEqual(scenariosMarked(run.stdout, 'INCONCLUSIVE'), keys(inconclusive), why);
  if (expected.warned) assert.deepEqual(scenariosMarked(run.stdout, 'WARN'), keys(expected.warned), why);
  const summary = new RegExp(
    `^mtlspec: \\d+ scenarios: \\d+ passed( \\(\\+\\d+ passed with a SHOULD warning\\))?, ${expected.failing.length} failed, ` +
      `${inconclusive.length} inconclusive, ${expected.skipped.length} skipped, ${expected.informational ?? 5} informational in [\\d.]+ s; report: `,
    'm',
  );
  assert.match(run.stdout, summary, why);
  assert.equal(run.code, expected.code, why);
}
