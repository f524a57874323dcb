import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRunPki, loopbackHosts, PrivateDir } from '../src/pki/index.js';
import type { CauseId } from '../src/diagnosis/root-causes.js';
import { runCli, type CliRun } from './support/cli.js';
import { startNginx } from './support/nginx.js';
import { readRunResults } from './support/records.js';
import { startSServer } from './support/s-server.js';

/**
 * The diagnosis as a user meets it: the real CLI against the built-in
 * servers, each with one deliberate flaw, and against real servers nobody
 * here wrote. Each run must name exactly the root cause the flaw is, with
 * the hint that fixes it, in the terminal and in results.json; the correct
 * servers must get none.
 */

const reportRoot = mkdtempSync(path.join(tmpdir(), 'mtlspec-diagnosis-'));
after(() => rmSync(reportRoot, { recursive: true, force: true }));

/**
 * Enough cases to tell every cause apart, and no more, to keep each run short:
 * the chain cases that prove verification, then one or more per cause.
 */
const selection = [
  'x509/valid', 'tls/no-client-cert', 'x509/chain/untrusted-ca', 'x509/chain/self-signed', 'x509/usage', 'x509/validity/expired',
  'x509/crypto/rsa-1024', 'x509/crypto/sha1-signature', 'spiffe/wrong-id', 'spiffe/wrong-trust-domain', 'tls/version',
].flatMap((id) => ['--case', id]);

interface Expectation {
  readonly causes: readonly CauseId[];
  /** Text the terminal must show: the evidence and the setting to change. */
  readonly shows: readonly RegExp[];
}

const expected: Record<string, Expectation> = {
  correct: { causes: [], shows: [] },
  'accept-any-cert': {
    causes: ['any-ca-accepted', 'certificate-not-required'],
    shows: [/1\. the server accepts client certificates from any CA: it likely does not verify them at all \[likely; on grpc, http2, tls\]/, /nginx +`ssl_verify_client on;` \(not `optional_no_ca`\)/, /Go +`ClientAuth: tls\.RequireAndVerifyClientCert` \(not `RequireAnyClientCert`\)/, /issuers it does not trust \(x509\/chain\/untrusted-ca, x509\/chain\/self-signed\)/],
  },
  'cert-optional': {
    causes: ['certificate-not-required'],
    shows: [/the server requests a client certificate but does not require one \[observed; on grpc, http2, tls\]/, /it sent a CertificateRequest, the client answered with no certificate/, /Java +`setNeedClientAuth\(true\)` instead of `setWantClientAuth\(true\)`/, /grpc-js +`checkClientCertificate` `true`/, /Envoy +`require_client_certificate: true`/],
  },
  'allow-tls12': { causes: ['legacy-tls-enabled'], shows: [/negotiated TLSv1\.2\): tls\/version\/tls12/, /nginx +`ssl_protocols TLSv1\.3;`/, /Go +`MinVersion: tls\.VersionTLS13`/] },
  'allow-legacy-tls': { causes: ['legacy-tls-enabled'], shows: [/negotiated TLSv1\.1, TLSv1\): tls\/version\/tls11, tls\/version\/tls10/, /Python +`ctx\.minimum_version = ssl\.TLSVersion\.TLSv1_3`/] },
  'ignore-eku': { causes: ['usage-not-checked'], shows: [/verifies the chain but likely not the key usage/, /x509\/usage\/eku-server-auth-only/, /Go +Go checks the clientAuth EKU/] },
  'ignore-expiry': { causes: ['validity-not-checked'], shows: [/outside their validity period: x509\/validity\/expired/, /Envoy +`allow_expired_certificate: false`/] },
  'weak-crypto': { causes: ['weak-crypto-accepted'], shows: [/yet accepted: x509\/crypto\/rsa-1024, x509\/crypto\/sha1-signature/, /nginx +`ssl_ciphers` ending in `:@SECLEVEL=2`/, /Java +`jdk\.certpath\.disabledAlgorithms`/] },
  'no-spiffe-authorization': { causes: ['no-identity-authorization'], shows: [/spiffe\/wrong-id, spiffe\/wrong-trust-domain/, /Envoy +`match_typed_subject_alt_names`/, /Istio +an `AuthorizationPolicy`/] },
};

function why(run: CliRun): string {
  return `--- stdout ---\n${run.stdout.slice(-6000)}\n--- stderr ---\n${run.stderr}`;
}

/** The diagnosis block of the terminal output: from its heading to the summary line. */
function diagnosisBlock(stdout: string): string {
  const start = stdout.indexOf('mtlspec: diagnosis:');
  return start < 0 ? '' : stdout.slice(start, stdout.indexOf('\nmtlspec: ', start + 1));
}

describe('the diagnosis of each flawed built-in server', { concurrency: 2 }, () => {
  for (const [variant, expectation] of Object.entries(expected)) {
    it(`${variant}: ${expectation.causes.length === 0 ? 'no diagnosis' : expectation.causes.join(' + ')}`, async () => {
      const reportDir = path.join(reportRoot, variant);
      const run = await runCli(['run', '--report-dir', reportDir, ...selection, ...(variant === 'correct' ? [] : ['--flaw', variant])], 120_000);
      assert.equal(run.code, variant === 'correct' ? 0 : 1, why(run));
      const results = readRunResults(reportDir);
      assert.deepEqual(results?.diagnosis?.map((c) => c.cause), expectation.causes, why(run));
      const block = diagnosisBlock(run.stdout);
      if (expectation.causes.length === 0) assert.equal(block, '', 'a correct server gets no diagnosis');
      for (const pattern of expectation.shows) assert.match(block, pattern, why(run));
      // Before the summary line, which stays the last line.
      const lines = run.stdout.trimEnd().split('\n');
      assert.match(lines.at(-1) ?? '', /^mtlspec: \d+ scenarios: /);
    });
  }

  it('--quiet: one line per root cause, then the summary line', async () => {
    const reportDir = path.join(reportRoot, 'quiet');
    const run = await runCli(['run', '--quiet', '--report-dir', reportDir, '--case', 'x509/valid', '--case', 'tls/no-client-cert', '--flaw', 'cert-optional'], 120_000);
    assert.equal(run.code, 1, why(run));
    const lines = run.stdout.trimEnd().split('\n');
    assert.deepEqual(lines.slice(0, -1), ['mtlspec: root cause (observed): the server requests a client certificate but does not require one (grpc, http2, tls)'], why(run));
  });
});

describe('the diagnosis of real servers nobody here wrote', { concurrency: true }, () => {
  let files: PrivateDir;
  let ca: { cert: string; key: string };
  let pems: { clientCaPem: string; certPem: string; keyPem: string };
  const closers: Array<() => Promise<void>> = [];

  before(async () => {
    const pki = await createRunPki({ clientSpiffeId: 'spiffe://example.org/client', trustedCa: 'generate', serverHosts: loopbackHosts });
    assert.ok(pki.trustedCa && pki.server);
    files = new PrivateDir('mtlspec-diagnosis-ca-');
    ca = { cert: files.write('ca.pem', pki.trustedCa.certPem), key: files.write('ca.key', pki.trustedCa.key.privateKeyPem) };
    pems = { clientCaPem: pki.trustedCa.certPem, certPem: pki.server.certPem, keyPem: pki.server.keyPem };
  });

  after(async () => {
    await Promise.all(closers.map((close) => close()));
    files?.remove();
  });

  async function runAgainst(name: string, url: string, extra: readonly string[] = []): Promise<CliRun & { causes: string[] | undefined }> {
    const reportDir = path.join(reportRoot, name);
    const run = await runCli(['run', '--target', url, '--ca-cert', ca.cert, '--ca-key', ca.key, '--server-ca', ca.cert, '--report-dir', reportDir, '--timeout', '3000', ...extra], 60_000);
    return { ...run, causes: readRunResults(reportDir)?.diagnosis?.map((c) => c.cause) };
  }

  it('openssl s_server without -Verify sends no CertificateRequest: "does not request a client certificate", from the handshake', async () => {
    const server = await startSServer({ ...pems, verifyReturnError: false, tls13Only: true, mode: 'rev', requestClientCert: false });
    closers.push(() => server.close());
    const run = await runAgainst('s-server-no-verify', server.url, ['--send', 'hello\\n']);
    assert.equal(run.code, 1, why(run));
    assert.deepEqual(run.causes, ['no-certificate-request'], why(run));
    const block = diagnosisBlock(run.stdout);
    assert.match(block, /1\. the server does not request a client certificate \[observed; on tls\]/);
    assert.match(block, /evidence: no CertificateRequest in any of the \d+ handshakes/);
    assert.match(block, /nginx +`ssl_verify_client on;` with `ssl_client_certificate/);
    assert.match(block, /HAProxy +on the `bind` line: `ssl crt server\.pem ca-file client-ca\.pem verify required`/);
  });

  it('openssl s_server without -verify_return_error: accepts any CA, but does require a certificate', async () => {
    const server = await startSServer({ ...pems, verifyReturnError: false, tls13Only: true, mode: 'rev' });
    closers.push(() => server.close());
    const run = await runAgainst('s-server-lax', server.url, ['--send', 'hello\\n']);
    assert.equal(run.code, 1, why(run));
    assert.deepEqual(run.causes, ['any-ca-accepted'], why(run));
  });

  it('nginx ssl_verify_client optional: requests but does not require', async () => {
    const server = await startNginx({ ...pems, verifyClient: 'optional', protocols: 'TLSv1.3' });
    closers.push(() => server.close());
    const run = await runAgainst('nginx-optional', `${server.url}hello`);
    assert.equal(run.code, 1, why(run));
    assert.deepEqual(run.causes, ['certificate-not-required'], why(run));
    assert.match(diagnosisBlock(run.stdout), /nginx +`ssl_verify_client on;` instead of `optional`/);
  });
});
