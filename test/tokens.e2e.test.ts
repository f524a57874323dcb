import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PrivateDir } from '../src/pki/private-dir.js';
import { startGrpcServer } from '../src/servers/grpc-server.js';
import type { RunningServer } from '../src/servers/types.js';
import { readSigningKey } from '../src/token/keys.js';
import { certificateDer, certificateSha256 } from '../src/pki/certificate-hash.js';
import type { TokenPolicy } from '../src/token/verifier.js';
import { runCli, scenariosMarked, type CliRun } from './support/cli.js';
import { clientSpiffeId, issueLeaf, makeCa, type Leaf, type OpensslCa } from './support/openssl-pki.js';
import { startPythonJwt, type RunningPythonJwt } from './support/python-jwt.js';
import { readRecords } from './support/records.js';
import { SignJWT } from 'jose';

/**
 * Tokens over mTLS against verifiers: PyJWT behind Python's ssl (Debian's
 * python3-jwt, a verifier nobody here wrote), once correct and once without
 * the RFC 8705 binding check, and the built-in gRPC server in token mode as
 * an external target. Also: no token, minted or given, ever reaches the
 * output or a report; and bad token flags are one line and exit 2.
 */

const issuerName = 'https://issuer.example.test';
const audience = 'https://api.example.test';
const cliTimeoutMs = 60_000;

let dir: PrivateDir;
let ca: OpensslCa;
let server: Leaf;
let client: Leaf;
let issuerKeyFile: string;
let issuerPublicPem: string;
let correct: RunningPythonJwt;
let withoutCnf: RunningPythonJwt;

before(async () => {
  dir = new PrivateDir('mtlspec-tokens-test-');
  ca = await makeCa(dir.path, 'ca');
  [server, client] = await Promise.all([
    issueLeaf(dir.path, ca, { name: 'server', subjectAltName: 'DNS:localhost,IP:127.0.0.1', extendedKeyUsage: 'serverAuth' }),
    issueLeaf(dir.path, ca, { name: 'client', subjectAltName: `URI:${clientSpiffeId}`, extendedKeyUsage: 'clientAuth' }),
  ]);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  issuerKeyFile = dir.write('issuer.key', privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  issuerPublicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const python = { clientCaPem: ca.certPem, certPem: server.certPem, keyPem: server.keyPem, issuerPublicPem, issuer: issuerName, audience };
  [correct, withoutCnf] = await Promise.all([startPythonJwt({ ...python, checkCnf: true }), startPythonJwt({ ...python, checkCnf: false })]);
});

after(async () => {
  await Promise.all([correct?.close(), withoutCnf?.close()]);
  dir?.remove();
});

const caFlags = (): string[] => ['--ca-cert', ca.certPath, '--ca-key', ca.keyPath, '--server-ca', ca.certPath];
const clientFlags = (): string[] => ['--client-cert', client.certPath, '--client-key', dir.write('client-key.pem', client.keyPem), '--server-ca', ca.certPath];
const jwtFlags = (): string[] => ['--jwt-key', issuerKeyFile, '--jwt-iss', issuerName, '--jwt-aud', audience, '--jwt-bound'];

/** The verdict sets of a run's token scenarios, by mark. */
function marks(run: CliRun): Record<string, string[]> {
  return Object.fromEntries(['FAIL', 'WARN', 'SKIP', 'INCONCLUSIVE', 'ERROR'].map((mark) => [mark, scenariosMarked(run.stdout, mark)]));
}

/** PyJWT 2.6 (Debian 12) verifies with the one key it is given, whatever the kid: the correct service lets an unknown kid through, a SHOULD. */
const pyjwtWarnings = ['jwt/header/unknown-kid@http2-jwt'];
const cnfCases = ['jwt/cnf/bound-to-another-client', 'jwt/cnf/presented-by-another-client', 'jwt/cnf/missing', 'jwt/cnf/hex-thumbprint', 'jwt/cnf/issuer-thumbprint'];

describe('tokens against PyJWT (python3-jwt)', () => {
  test('the correct service passes every token case; PyJWT\'s own gaps show as SHOULD warnings', async (t) => {
    const reports = dir.path + '/reports-correct';
    const run = await runCli(['run', '--target', correct.url, ...caFlags(), ...jwtFlags(), '--case', 'jwt', '--report-dir', reports, '--log-level', 'debug'], cliTimeoutMs);
    t.diagnostic(run.stdout.split('\n').filter((l) => /WARN|FAIL|scenarios/.test(l)).join('\n'));
    assert.deepEqual(marks(run), { FAIL: [], WARN: pyjwtWarnings.sort(), SKIP: [], INCONCLUSIVE: [], ERROR: [] }, `${run.stdout}\n${run.stderr}\n${correct.output()}`);
    assert.equal(run.code, 0, run.stderr);
    assertNoToken(run, reports, /eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/);
  });

  test('the service without the cnf check is caught by exactly the binding cases', async () => {
    const run = await runCli(['run', '--target', withoutCnf.url, ...caFlags(), ...jwtFlags(), '--case', 'jwt', '--report-dir', dir.path + '/reports-no-cnf'], cliTimeoutMs);
    assert.deepEqual(marks(run), { FAIL: cnfCases.map((id) => `${id}@http2-jwt`).sort(), WARN: pyjwtWarnings.sort(), SKIP: [], INCONCLUSIVE: [], ERROR: [] }, `${run.stdout}\n${run.stderr}`);
    assert.equal(run.code, 1);
  });

  test('without --jwt-bound the binding cases are skipped with the reason, never passed', async () => {
    const run = await runCli(['run', '--target', withoutCnf.url, ...caFlags(), '--jwt-key', issuerKeyFile, '--jwt-iss', issuerName, '--jwt-aud', audience, '--case', 'jwt/cnf', '--report-dir', dir.path + '/reports-unbound'], cliTimeoutMs);
    assert.deepEqual(marks(run).SKIP, cnfCases.map((id) => `${id}@http2-jwt`).sort(), run.stdout);
    assert.match(run.stdout, /pass --jwt-bound if it does/);
  });

  test('a ready token (--token-file) runs what needs no issuer key, skips the rest with the reason, and never shows the token', async (t) => {
    const token = await boundToken(client.certPem);
    const tokenFile = dir.write('token.jwt', `${token}\n`);
    const reports = dir.path + '/reports-given';
    const run = await runCli(['run', '--target', correct.url, ...clientFlags(),
      '--token-file', tokenFile, '--case', 'jwt', '--report-dir', reports, '--log-level', 'debug'], cliTimeoutMs);
    t.diagnostic(run.stdout.split('\n').filter((l) => /SKIP|scenarios/.test(l)).join('\n'));
    const ran = ['jwt/valid', 'jwt/missing', 'jwt/signature/bad', 'jwt/alg/none', 'jwt/alg/none-capitalized', 'jwt/header/jwk', 'jwt/header/jku', 'jwt/header/x5u'];
    const passed = scenariosMarked(run.stdout, 'PASS').map((key) => key.replace(/@.*/, ''));
    assert.deepEqual(passed.sort(), [...ran].sort(), run.stdout);
    assert.match(run.stdout, /jwt\/claims\/expired over http2-jwt[^\n]*\n\s+needs --jwt-key/);
    assert.equal(run.code, 0, run.stderr);
    assertNoToken(run, reports, token);
    // The report still shows what was sent: the claims and the fingerprint.
    const valid = readRecords(reports).find((r) => r.caseId === 'jwt/valid');
    assert.equal(valid?.probe?.token?.[0]?.claims?.['iss'], issuerName);
    assert.match(valid?.probe?.token?.[0]?.fingerprint ?? '', /^sha256:[0-9a-f]{16}$/);
  });

  test('a config file names the issuer key and the token file relative to itself', async () => {
    const configDir = path.join(dir.path, 'config-run');
    mkdirSync(configDir, { mode: 0o700 });
    writeFileSync(path.join(configDir, 'config-issuer.key'), readFileSync(issuerKeyFile, 'utf8'), { mode: 0o600 });
    writeFileSync(path.join(configDir, 'mtlspec.config.json'), JSON.stringify({ target: correct.url, 'ca-cert': ca.certPath, 'ca-key': ca.keyPath, 'server-ca': ca.certPath, 'jwt-key': 'config-issuer.key', 'jwt-iss': issuerName, 'jwt-aud': audience, case: ['jwt/valid'] }));
    // Run from elsewhere: the key's path must resolve against the config file's folder, not the current one.
    const run = await runCli(['run', '--config', path.join(configDir, 'mtlspec.config.json'), '--report-dir', path.join(configDir, 'reports')], { timeoutMs: cliTimeoutMs, cwd: dir.path });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /1 scenarios?: 1 passed/);
  });

  test('a token given inline (MTLSPEC_TOKEN) stays out of the output and the reports as well', async () => {
    const token = await boundToken(client.certPem);
    const reports = dir.path + '/reports-inline';
    const run = await runCli(['run', '--target', correct.url, ...clientFlags(),
      '--case', 'jwt/valid', '--case', 'jwt/missing', '--report-dir', reports, '--log-level', 'debug', '--log-format', 'json'], { timeoutMs: cliTimeoutMs, env: { MTLSPEC_TOKEN: token } });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /2 scenarios: 2 passed/);
    assertNoToken(run, reports, token);
  });
});

describe('tokens against the built-in gRPC server in token mode, as an external target', () => {
  let grpc: RunningServer;
  before(async () => {
    // Read as the CLI reads --jwt-key: the JWKS then lists the kid the run's tokens name (the key's RFC 7638 thumbprint).
    const issuer = await readSigningKey(readFileSync(issuerKeyFile, 'utf8'), undefined);
    const policy: TokenPolicy = {
      jwks: { keys: [issuer.publicJwk] },
      issuerPublicPem: issuer.publicPem, issuer: issuerName, audience, requireBinding: true, skewSeconds: 30, flaws: [],
    };
    grpc = await startGrpcServer({ clientCaPem: ca.certPem, certPem: server.certPem, keyPem: server.keyPem, allowedSpiffeIds: [clientSpiffeId], flaws: [], token: policy });
  });
  after(() => grpc?.close());

  test('every certificate case carries the valid token, so a refusal is the certificate\'s; every token case passes', async () => {
    const reports = dir.path + '/reports-grpc';
    const run = await runCli(['run', '--target', grpc.url, ...caFlags(), ...jwtFlags(), '--spiffe-id', clientSpiffeId, '--report-dir', reports], cliTimeoutMs);
    assert.deepEqual(marks(run).FAIL, [], run.stdout);
    assert.deepEqual(marks(run).INCONCLUSIVE, [], run.stdout);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const records = readRecords(reports);
    const tokenCases = records.filter((r) => r.protocol === 'grpc-jwt');
    assert.equal(tokenCases.length, 22);
    const certificateCases = records.filter((r) => r.protocol === 'grpc' && r.probe);
    assert.ok(certificateCases.length > 30);
    for (const record of certificateCases) assert.equal(record.probe?.token?.length, 1, `${record.caseId} carried no token`);
  });
});

describe('bad token flags: one line, exit 2, before any probe', () => {
  const cases: Array<[string, () => string[], RegExp]> = [
    ['--jwt-key that holds a certificate', () => ['--target', correct.url, ...caFlags(), '--jwt-key', ca.certPath], /^mtlspec: --jwt-key \S+ holds no private key in PEM/],
    ['a --token that is no JWT', () => ['--target', correct.url, ...caFlags(), '--token', 'not-a-token'], /^mtlspec: --token is not a JWT in compact form/],
    ['--jwt-iss with a ready token', () => ['--target', correct.url, ...caFlags(), '--token', 'a.b.c', '--jwt-iss', 'x'], /^mtlspec: --jwt-iss needs --jwt-key/],
    ['both an issuer key and a token', () => ['--target', correct.url, ...caFlags(), '--jwt-key', issuerKeyFile, '--token', 'a.b.c'], /^mtlspec: --jwt-key and --token exclude each other/],
    ['a token for a raw TLS target', () => ['--target', 'tls://127.0.0.1:1', ...caFlags(), '--jwt-key', issuerKeyFile], /^mtlspec: --jwt-key needs a grpcs:\/\/ or https:\/\/ target/],
    ['a token flag for the built-in servers', () => ['--jwt-key', issuerKeyFile], /^mtlspec: --jwt-key needs --target/],
    ['--jwt-claims that is not an object', () => ['--target', correct.url, ...caFlags(), '--jwt-key', issuerKeyFile, '--jwt-claims', '[1]'], /^mtlspec: --jwt-claims must be a JSON object/],
  ];
  for (const [name, args, message] of cases) {
    test(name, async () => {
      const run = await runCli(['run', ...args(), '--report-dir', dir.path + '/reports-bad'], cliTimeoutMs);
      assert.equal(run.code, 2, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      assert.doesNotMatch(run.stderr + run.stdout, /BEGIN|at .*\.js:\d+/);
    });
  }

  test('a bound --token with certificates minted from --ca-cert: they could never match it', async () => {
    const token = await boundToken(client.certPem);
    const run = await runCli(['run', '--target', correct.url, ...caFlags(), '--token', token, '--report-dir', dir.path + '/reports-bad'], cliTimeoutMs);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^mtlspec: --token: the token is bound to one certificate/);
    assert.ok(!run.stderr.includes(token));
  });
});

/** A valid token from the test's issuer, bound to a certificate: what a user's --token would be. */
async function boundToken(certPem: string): Promise<string> {
  const issuer = await readSigningKey(readFileSync(issuerKeyFile, 'utf8'), undefined);
  return new SignJWT({ cnf: { 'x5t#S256': certificateSha256(certificateDer(certPem)) } })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
    .setIssuer(issuerName)
    .setAudience(audience)
    .setSubject(clientSpiffeId)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(issuer.privateKey);
}

/** Neither the output nor any file of the reports holds the token (a string, or any JWT by its shape). */
function assertNoToken(run: CliRun, reportDir: string, token: string | RegExp): void {
  const texts: Array<[string, string]> = [['stdout', run.stdout], ['stderr', run.stderr]];
  for (const file of readdirSync(reportDir)) texts.push([file, readFileSync(path.join(reportDir, file), 'utf8')]);
  for (const [where, text] of texts) {
    if (typeof token === 'string') assert.ok(!text.includes(token), `the token is in ${where}`);
    else assert.doesNotMatch(text, token, `a token is in ${where}`);
  }
}
