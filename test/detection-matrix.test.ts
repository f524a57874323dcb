import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cases } from '../fixtures/cases.js';
import { packageRoot } from '../src/paths.js';
import { allServerCertificateFlaws } from '../src/run/server-certificate-flaws.js';
import { allServerFlaws } from '../src/servers/types.js';
import { allTokenFlaws } from '../src/token/verifier.js';
import type { ScenarioRecord } from '../src/report/evidence.js';
import { runCli, startCli, type LongRunningCli } from './support/cli.js';
import { ensureCommand } from './support/ensure-package.js';
import { isOptInCase } from '../src/proxy/opt-in.js';
import { proxyBackendEchoPattern, proxyHeaderPolicies, type ProxyHeaderPolicy } from '../src/proxy/terminating-proxy.js';
import { detectedByProtocol, readRecords } from './support/records.js';

/**
 * The harness tests itself: the whole catalogue runs against the correct
 * built-in servers and against every deliberately flawed variant. Each
 * variant must be caught by exactly the cases written down here, on every
 * target it has, and the correct servers by none. The table it proves is
 * written to docs/detection-matrix.md, which this test keeps honest.
 */
const expectedDetections: Record<string, readonly string[]> = {
  correct: [],
  'accept-any-cert': [
    'tls/no-client-cert',
    'x509/validity/expired', 'x509/validity/not-yet-valid',
    'x509/usage/eku-server-auth-only', 'x509/usage/eku-code-signing-only', 'x509/usage/ku-without-digital-signature', 'x509/usage/unknown-critical-extension',
    'x509/chain/untrusted-ca', 'x509/chain/self-signed', 'x509/chain/impostor-ca', 'x509/chain/intermediate-missing', 'x509/chain/pathlen-exceeded',
    'x509/chain/issuer-not-ca', 'x509/chain/issuer-without-keycertsign', 'x509/chain/bad-signature',
    'x509/crypto/rsa-1024', 'x509/crypto/sha1-signature', 'x509/crypto/md5-signature',
    'x509/revocation/revoked',
    'pinned/unpinned-self-signed', 'pinned/same-subject-other-key',
  ],
  'cert-optional': ['tls/no-client-cert'],
  // The flawed server allows TLS 1.2 with Node's default suites, CBC ones among them.
  'allow-tls12': ['tls/version/tls12', 'tls/version/tls12-cbc-suites'],
  'allow-legacy-tls': ['tls/version/tls11', 'tls/version/tls10'],
  'ignore-eku': ['x509/usage/eku-server-auth-only', 'x509/usage/eku-code-signing-only', 'x509/usage/ku-without-digital-signature'],
  'ignore-expiry': ['x509/validity/expired', 'x509/validity/not-yet-valid'],
  'ignore-crl': ['x509/revocation/revoked'],
  'accept-unknown-critical-extension': ['x509/usage/unknown-critical-extension'],
  'weak-crypto': ['x509/crypto/rsa-1024', 'x509/crypto/sha1-signature', 'x509/crypto/md5-signature'],
  'no-spiffe-authorization': ['spiffe/wrong-id', 'spiffe/wrong-trust-domain'],
  // The built-in servers refuse a CA leaf through the X509-SVID rules, so this flaw lets x509/usage/leaf-is-ca through too.
  'ignore-svid-rules': ['spiffe/two-uri-sans', 'spiffe/svid-is-ca', 'spiffe/keycertsign-on-leaf', 'x509/usage/leaf-is-ca'],
  'server-cert-untrusted': ['server/chain/trusted'],
  'server-cert-wrong-host': ['server/identity/host'],
  // OpenSSL's own chain verification checks the purpose and the dates too, so the chain case catches these as well.
  'server-cert-client-eku': ['server/usage/server-auth', 'server/chain/trusted'],
  'server-cert-expired': ['server/validity/current', 'server/chain/trusted'],
  'server-cert-wrong-spiffe-id': ['server/spiffe/id'],
  // The token flaws: each switches off one check of the token servers (grpc-jwt, http2-jwt).
  'jwt-ignore-exp': ['jwt/claims/expired'],
  'jwt-accept-alg-none': ['jwt/alg/none', 'jwt/alg/none-capitalized'],
  'jwt-alg-confusion': ['jwt/alg/hs256-with-public-key'],
  'jwt-ignore-aud': ['jwt/claims/wrong-audience'],
  // Without the binding check, every token bound elsewhere, or to nothing, gets through.
  'jwt-ignore-cnf': ['jwt/cnf/bound-to-another-client', 'jwt/cnf/presented-by-another-client', 'jwt/cnf/missing', 'jwt/cnf/hex-thumbprint', 'jwt/cnf/issuer-thumbprint'],
  'jwt-hex-thumbprint': ['jwt/cnf/hex-thumbprint'],
  'jwt-trust-header-jwk': ['jwt/header/jwk'],
};

const variants = ['correct', ...allServerFlaws, ...allServerCertificateFlaws, ...allTokenFlaws];
const matrixFile = path.join(packageRoot, 'docs/detection-matrix.md');
const reportRoot = mkdtempSync(path.join(tmpdir(), 'mtlspec-matrix-'));
after(() => rmSync(reportRoot, { recursive: true, force: true }));

const observed = new Map<string, Map<string, string[]>>();

async function runVariant(variant: string): Promise<ScenarioRecord[]> {
  const reportDir = path.join(reportRoot, variant);
  const run = await runCli(['run', '--report-dir', reportDir, ...(variant === 'correct' ? [] : ['--flaw', variant])], 120_000);
  assert.equal(run.code, variant === 'correct' ? 0 : 1, `${variant}: exit code\n${run.stdout.slice(-2000)}${run.stderr}`);
  return readRecords(reportDir);
}

/**
 * Behind a TLS-terminating proxy: the forged-identity-header cases against a
 * real HAProxy in mode http in front of a plain backend that trusts the first
 * X-SSL-Client-Cert, with the correct configuration and the flawed one
 * (`mtlspec serve http2 --proxy-headers ...`). Exactly these cases catch each.
 */
const proxyExpectedDetections: Record<ProxyHeaderPolicy, readonly string[]> = {
  overwrites: [],
  appends: ['proxy/forged/ssl-client-cert/claims-other', 'proxy/forged/ssl-client-cert/duplicated'],
};
const proxyObserved = new Map<ProxyHeaderPolicy, readonly string[]>();
const proxyServers: LongRunningCli[] = [];
after(() => Promise.all(proxyServers.map((s) => s.stop('SIGTERM'))));

describe('detection matrix behind a TLS-terminating proxy (HAProxy mode http)', { concurrency: 1 }, () => {
  before(() => ensureCommand('haproxy', 'haproxy'));
  for (const policy of proxyHeaderPolicies) {
    it(`${policy}: caught by exactly its cases, with nothing inconclusive`, async () => {
      const server = startCli(['serve', 'http2', '--proxy-headers', policy]);
      proxyServers.push(server);
      const [, url = ''] = await server.waitFor(/listening on (https:\/\/\S+)/);
      const [, pki = ''] = await server.waitFor(/PKI in (\S+) \(removed when the server stops\)/);
      await server.waitFor(/Ctrl-C stops it/);
      const file = (name: string): string => path.join(pki, name);
      const reportDir = path.join(reportRoot, `proxy-${policy}`);
      const run = await runCli(['run', '--target', url, '--ca-cert', file('ca.pem'), '--ca-key', file('ca.key'), '--server-ca', file('ca.pem'), '--case', 'proxy', '--identity-echo', proxyBackendEchoPattern, '--report-dir', reportDir], 120_000);
      const expected = [...proxyExpectedDetections[policy]].sort();
      assert.equal(run.code, expected.length === 0 ? 0 : 1, run.stdout + run.stderr);
      const records = readRecords(reportDir);
      assert.deepEqual(records.filter((r) => r.verdict.status === 'inconclusive' || r.verdict.status === 'skipped').map((r) => `${r.caseId}: ${r.verdict.why}`), []);
      assert.equal(records.length, cases.filter((c) => c.id.startsWith('proxy/')).length, 'every forged-header case ran');
      const detected = detectedByProtocol(records).get('http2') ?? [];
      assert.deepEqual(detected, expected);
      proxyObserved.set(policy, detected);
      await server.stop('SIGTERM');
    });
  }
});

describe('detection matrix', () => {
  it('names every flaw of the built-in servers', () => {
    assert.deepEqual(Object.keys(expectedDetections).sort(), variants.slice().sort());
  });

  // Two CLI runs side by side (two cores); the docs check below waits for all of them.
  describe('each variant', { concurrency: 2 }, () => {
   for (const variant of variants) {
    it(`${variant}: caught by exactly its cases, on every target, with nothing inconclusive`, async () => {
      const records = await runVariant(variant);
      const notJudged = records.filter((r) => r.verdict.status === 'inconclusive' || r.verdict.status === 'skipped');
      assert.deepEqual(notJudged.map((r) => `${r.caseId}@${r.protocol}: ${r.verdict.why}`), [], 'every case was judged');
      const detected = detectedByProtocol(records);
      observed.set(variant, detected);
      for (const [target, ids] of detected) {
        const runsOnTarget = new Set(records.filter((r) => r.protocol === target).map((r) => r.caseId));
        const expected = (expectedDetections[variant] ?? []).filter((id) => runsOnTarget.has(id)).sort();
        assert.deepEqual(ids, expected, `${variant} on ${target}`);
      }
    });
   }
  });

  it('docs/detection-matrix.md shows what these runs proved', () => {
    assert.equal(observed.size, variants.length, 'every variant ran');
    assert.equal(proxyObserved.size, proxyHeaderPolicies.length, 'every proxy configuration ran');
    const generated = renderMatrix(observed);
    const committed = existsSync(matrixFile) ? readFileSync(matrixFile, 'utf8') : '';
    if (committed !== generated) {
      writeFileSync(matrixFile, generated);
      assert.fail('docs/detection-matrix.md was out of date and has been regenerated: review and commit it');
    }
  });
});

/** Cases down, variants across; a cell says on which targets the case caught the variant. */
function renderMatrix(results: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>): string {
  const flawed = variants.filter((v) => v !== 'correct');
  const header = `| case | level | correct | ${flawed.map((v) => `\`${v}\``).join(' | ')} |`;
  const divider = `|---|---|---|${flawed.map(() => '---').join('|')}|`;
  const cell = (variant: string, caseId: string): string => {
    const targets = [...(results.get(variant) ?? new Map<string, readonly string[]>())].filter(([, ids]) => ids.includes(caseId)).map(([target]) => target);
    return targets.length === 0 ? '·' : `**caught** (${targets.join(', ')})`;
  };
  const rows = cases.filter((c) => !isOptInCase(c.id)).map((c) => `| \`${c.id}\` | ${c.level} | ${cell('correct', c.id) === '·' ? 'passes' : cell('correct', c.id)} | ${flawed.map((v) => cell(v, c.id)).join(' | ')} |`);
  return [
    '# Detection matrix',
    '',
    'Generated by `test/detection-matrix.test.ts` from real runs of the whole catalogue',
    'against the built-in servers (gRPC, HTTP/2, raw TLS, the pinned-clients HTTP/2',
    'server, and the gRPC and HTTP/2 servers in token mode), correct and with each',
    'deliberate flaw. The test fails if this file is stale. A cell names the targets on',
    'which the case caught the flaw ("·": the case passed); INFO cases are never judged.',
    'Flaws are documented in `src/servers/types.ts`, `src/run/server-certificate-flaws.ts`',
    'and `src/token/verifier.ts`.',
    '',
    header,
    divider,
    ...rows,
    '',
    ...renderProxySection(),
  ].join('\n');
}

function renderProxySection(): string[] {
  const proxyCases = cases.filter((c) => c.id.startsWith('proxy/'));
  const cell = (policy: ProxyHeaderPolicy, id: string): string => ((proxyObserved.get(policy) ?? []).includes(id) ? '**caught**' : policy === 'overwrites' ? 'passes' : '·');
  return [
    '## Behind a TLS-terminating proxy',
    '',
    'The forged-identity-header cases (`--case proxy`, `features/proxy-identity.feature`) against',
    'a real HAProxy in `mode http` that terminates mTLS in front of a plain backend trusting the',
    'first `X-SSL-Client-Cert` (`mtlspec serve http2 --proxy-headers ...`). `overwrites` deletes',
    'every identity header the client sent and sets its own; `appends` adds its own after the',
    'client\'s. The layer-4 setup (replicas behind `mode tcp`, `--repeat`) is checked by',
    '`test/balancer.e2e.test.ts`.',
    '',
    '| case | level | `overwrites` (correct) | `appends` (flawed) |',
    '|---|---|---|---|',
    ...proxyCases.map((c) => `| \`${c.id}\` | ${c.level} | ${cell('overwrites', c.id)} | ${cell('appends', c.id)} |`),
    '',
  ];
}
