import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { readPkcs12, writePkcs12, Pkcs12Error } from '../src/pki/pkcs12.js';
import { startReferenceServer, type RunningServer } from '../src/servers/index.js';
import { runCli, type CliRun } from './support/cli.js';
import { exportPkcs12, issueLeaf, makeCa, pkcs12Info, type KeyKind, type Leaf, type OpensslCa } from './support/openssl-pki.js';

/**
 * PKCS#12 credentials: files OpenSSL 3 makes (its default and its -legacy
 * profile, EC and RSA keys) read back as the PEMs they were made from; files
 * mtlspec makes read in OpenSSL; and the CLI runs a target with either, while
 * a wrong password, a file without a key and a mismatched pair each end the
 * run with one line and exit 2.
 */
const exec = promisify(execFile);
const password = 'p12-test-secret-Zq7';
const spiffeId = 'spiffe://example.org/client';
const dir = mkdtempSync(path.join(tmpdir(), 'mtlspec-p12-'));
const keyPathOf = (leaf: { certPath: string }): string => leaf.certPath.replace(/\.pem$/, '.key');

let root: OpensslCa;
let intermediate: OpensslCa;
const clients = new Map<KeyKind, Leaf>();
let server: Leaf;
let http2: RunningServer;

before(async () => {
  root = await makeCa(dir, 'root');
  intermediate = await makeCa(dir, 'intermediate', { issuer: root });
  const [ec, rsa, serverLeaf] = await Promise.all([
    issueLeaf(dir, intermediate, { name: 'client-ec', subjectAltName: `URI:${spiffeId}`, extendedKeyUsage: 'clientAuth' }),
    issueLeaf(dir, intermediate, { name: 'client-rsa', subjectAltName: `URI:${spiffeId}`, extendedKeyUsage: 'clientAuth', key: 'rsa-2048' }),
    issueLeaf(dir, root, { name: 'server', subjectAltName: 'DNS:localhost,IP:127.0.0.1', extendedKeyUsage: 'serverAuth' }),
  ]);
  clients.set('ec', ec);
  clients.set('rsa-2048', rsa);
  server = serverLeaf;
  http2 = await startReferenceServer('http2', { clientCaPem: root.certPem, certPem: server.certPem, keyPem: server.keyPem, allowedSpiffeIds: [spiffeId], flaws: [] });
});

after(async () => {
  await http2?.close();
  rmSync(dir, { recursive: true, force: true });
});

function client(kind: KeyKind): Leaf {
  const leaf = clients.get(kind);
  assert.ok(leaf, `client ${kind}`);
  return leaf;
}

function samePublicKey(keyPem: string, certPem: string): boolean {
  const fromKey = createPrivateKey(keyPem);
  return new X509Certificate(certPem).checkPrivateKey(fromKey);
}

describe('PKCS#12 files OpenSSL 3 makes', () => {
  for (const kind of ['ec', 'rsa-2048'] as const) {
    for (const legacy of [false, true]) {
      it(`${kind}, ${legacy ? '-legacy (3DES, RC2-40, SHA-1 MAC)' : 'default (AES-256, PBKDF2, SHA-256 MAC)'}: the leaf, its key and the intermediate`, async () => {
        const leaf = client(kind);
        const file = await exportPkcs12(dir, `${kind}-${legacy ? 'legacy' : 'default'}`, { certPath: leaf.certPath, keyPath: keyPathOf(leaf) }, password, { legacy, chainPath: intermediate.certPath });
        const info = await pkcs12Info(file, password, legacy);
        assert.match(info, legacy ? /pbeWithSHA1And3-KeyTripleDES-CBC/ : /PBES2, PBKDF2, AES-256-CBC/, 'the profile asked for');
        const contents = readPkcs12(readFileSync(file), password);
        assert.equal(contents.certPem.trim(), leaf.certPem.trim());
        assert.equal(contents.key.asymmetricKeyType, kind === 'ec' ? 'ec' : 'rsa');
        assert.ok(samePublicKey(contents.keyPem, leaf.certPem));
        assert.deepEqual(contents.otherPems.map((pem) => pem.trim()), [intermediate.certPem.trim()]);
      });
    }
  }

  it('a wrong password, a file with no key, a key for another certificate, and no PKCS#12 at all: each a reason, never key material', async () => {
    const ec = client('ec');
    const good = await exportPkcs12(dir, 'errors-good', { certPath: ec.certPath, keyPath: keyPathOf(ec) }, password);
    assert.throws(() => readPkcs12(readFileSync(good), 'not-the-password'), (error: unknown) => error instanceof Pkcs12Error && /wrong password/.test(error.message));
    const noKey = await exportPkcs12(dir, 'errors-nokey', { certPath: ec.certPath, keyPath: keyPathOf(ec) }, password, { noKey: true });
    assert.throws(() => readPkcs12(readFileSync(noKey), password), /holds no private key/);
    // OpenSSL itself refuses to pair a key with another certificate, so the mismatched file is built by mtlspec's writer.
    const mismatched = writePkcs12Unchecked(ec.certPem, client('rsa-2048').keyPem);
    assert.throws(() => readPkcs12(mismatched, password), /matches none of its certificates/);
    assert.throws(() => readPkcs12(Buffer.from('-----BEGIN CERTIFICATE-----\n'), password), /is not a PKCS#12/);
  });

  it('a file that asks for more key-derivation work than any exporter uses is refused before any derivation', async () => {
    const ec = client('ec');
    const heavy = await exportPkcs12(dir, 'heavy', { certPath: ec.certPath, keyPath: keyPathOf(ec) }, password, { iterations: 1_100_000 });
    const started = performance.now();
    assert.throws(() => readPkcs12(readFileSync(heavy), password), /asks for 1100000 key-derivation iterations, more than the 1000000 mtlspec allows/);
    assert.ok(performance.now() - started < 1000, 'refused without deriving');
    const usual = await exportPkcs12(dir, 'usual', { certPath: ec.certPath, keyPath: keyPathOf(ec) }, password, { iterations: 10_000 });
    assert.equal(readPkcs12(readFileSync(usual), password).certPem.trim(), ec.certPem.trim(), "Java's 10000 iterations still read");
  });
});

/** A PFX whose key is not its certificate's: writePkcs12 does not check the pair (readPkcs12 does). */
function writePkcs12Unchecked(certPem: string, keyPem: string): Buffer {
  return writePkcs12({ certPem, keyPem, password });
}

describe('PKCS#12 files mtlspec makes', () => {
  for (const kind of ['ec', 'rsa-2048'] as const) {
    it(`${kind}: openssl pkcs12 reads them (PBES2 AES-256, SHA-256 MAC) and gives back the same certificate and key`, async () => {
      const leaf = client(kind);
      const file = path.join(dir, `ours-${kind}.p12`);
      writeFileSync(file, writePkcs12({ certPem: leaf.certPem, keyPem: leaf.keyPem, chainPems: [intermediate.certPem], password, friendlyName: 'client' }));
      const info = await pkcs12Info(file, password);
      assert.match(info, /MAC: sha256/);
      assert.match(info, /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC/);
      const { stdout } = await exec('openssl', ['pkcs12', '-in', file, '-passin', 'env:P12_PASSWORD', '-nodes'], { env: { ...process.env, P12_PASSWORD: password } });
      const certs = stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
      assert.deepEqual(certs.map((pem) => pem.trim()), [leaf.certPem.trim(), intermediate.certPem.trim()]);
      const key = stdout.match(/-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/)?.[0];
      assert.ok(key && samePublicKey(key, leaf.certPem), 'the key OpenSSL extracts is the certificate\'s');
      await assert.rejects(pkcs12Info(file, 'not-the-password'), 'OpenSSL checks our MAC');
      const back = readPkcs12(readFileSync(file), password);
      assert.equal(back.certPem.trim(), leaf.certPem.trim());
    });
  }
});

describe('run --client-p12 and --ca-p12', () => {
  const reports = (name: string): string => path.join(dir, 'reports', name);
  const env = { P12_PASSWORD: password };

  function assertOneLineError(run: CliRun, pattern: RegExp): void {
    assert.equal(run.code, 2, `exit code; stdout: ${run.stdout} stderr: ${run.stderr}`);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line on stderr, got:\n${run.stderr}`);
    assert.match(lines[0] ?? '', pattern);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  }

  function everythingWritten(run: CliRun, reportDir: string): string {
    return [run.stdout, run.stderr, ...readdirSync(reportDir).map((file) => readFileSync(path.join(reportDir, file), 'utf8'))].join('\n');
  }

  it('an OpenSSL-made client .p12 (RSA, legacy) is the control and passes; the password appears nowhere', async () => {
    const rsa = client('rsa-2048');
    const file = await exportPkcs12(dir, 'cli-client-rsa', { certPath: rsa.certPath, keyPath: keyPathOf(rsa) }, password, { legacy: true, chainPath: intermediate.certPath });
    const dirName = reports('client-p12');
    const run = await runCli(['run', '--target', http2.url, '--client-p12', file, '--p12-password-env', 'P12_PASSWORD', '--server-ca', root.certPath, '--case', 'x509/valid', '--case', 'tls/no-client-cert', '--report-dir', dirName, '--log-level', 'debug'], { env });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /the client credential from --client-p12/);
    assert.match(run.stdout, /2 scenarios: 2 passed/);
    assert.ok(!everythingWritten(run, dirName).includes(password), 'the password is in no output and no report');
  });

  it('an mtlspec-made CA .p12 (EC) mints every case it selects', async () => {
    const file = path.join(dir, 'cli-ca.p12');
    writeFileSync(file, writePkcs12({ certPem: root.certPem, keyPem: readFileSync(root.keyPath, 'utf8'), password }));
    const run = await runCli(['run', '--target', http2.url, '--ca-p12', file, '--p12-password-env', 'P12_PASSWORD', '--server-ca', root.certPath, '--spiffe-id', spiffeId, '--case', 'x509/validity/expired', '--report-dir', reports('ca-p12')], { env });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /the CA from --ca-p12/);
    assert.match(run.stdout, /1 scenarios: .*0 failed, 0 inconclusive/, 'the expired leaf minted under the .p12 CA was refused');
  });

  it('the config file takes client-p12 and p12-password-env, the path relative to the file', async () => {
    const ec = client('ec');
    const configDir = path.join(dir, 'config-p12');
    mkdirSync(configDir, { recursive: true });
    await exportPkcs12(configDir, 'mine', { certPath: ec.certPath, keyPath: keyPathOf(ec) }, password);
    writeFileSync(path.join(configDir, 'mtlspec.config.json'), JSON.stringify({ target: 'https://127.0.0.1:9/', 'client-p12': 'mine.p12', 'p12-password-env': 'P12_PASSWORD' }));
    const run = await runCli(['run', '--report-dir', reports('config-p12')], { env, cwd: configDir });
    // Exit 3 (the closed port cannot be judged), not 2: the credential was found, opened and checked.
    assert.equal(run.code, 3, run.stdout + run.stderr);
    assert.match(run.stdout, /the client credential from --client-p12/);
  });

  it('a wrong password, no key, a mismatched pair, an unset variable and no way to ask: one line each, exit 2, before any probe', async () => {
    const ec = client('ec');
    const good = await exportPkcs12(dir, 'cli-good', { certPath: ec.certPath, keyPath: keyPathOf(ec) }, password);
    const noKey = await exportPkcs12(dir, 'cli-nokey', { certPath: ec.certPath, keyPath: keyPathOf(ec) }, password, { noKey: true });
    const mismatched = path.join(dir, 'cli-mismatched.p12');
    writeFileSync(mismatched, writePkcs12Unchecked(ec.certPem, client('rsa-2048').keyPem));
    // A closed port: had any of these reached the network, the exit code would be 3, not 2.
    const target = 'https://127.0.0.1:9/';
    const base = ['run', '--target', target, '--report-dir', reports('errors')];
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['--client-p12', good, '--p12-password-env', 'P12_PASSWORD'], { P12_PASSWORD: 'wrong' }, /--client-p12 .*cli-good\.p12 cannot be opened with the given password \(wrong password\?\)$/],
      [['--client-p12', noKey, '--p12-password-env', 'P12_PASSWORD'], env, /cli-nokey\.p12 holds no private key/],
      [['--client-p12', mismatched, '--p12-password-env', 'P12_PASSWORD'], env, /cli-mismatched\.p12 holds a private key that matches none of its certificates/],
      [['--client-p12', good, '--p12-password-env', 'NOT_SET_P12'], {}, /--p12-password-env NOT_SET_P12: that environment variable is not set/],
      [['--client-p12', good], {}, /needs its password: .*--p12-password-env VAR, or run on a terminal/],
      [['--ca-p12', good, '--p12-password-env', 'P12_PASSWORD'], env, /--ca-p12 .* is not a CA certificate/],
      [['--client-p12', good, '--client-cert', ec.certPath, '--client-key', keyPathOf(ec)], env, /give one credential: --client-cert\/--client-key or --client-p12, not both/],
    ];
    const runs = await Promise.all(cases.map(([args, extraEnv]) => runCli([...base, ...args], { env: extraEnv })));
    runs.forEach((run, index) => assertOneLineError(run, cases[index]?.[2] ?? /never/));
    assert.ok(runs.every((run) => !run.stderr.includes(password)), 'no message quotes the password');
  });
});

describe('certs --p12', () => {
  it('writes client.p12 (0600) holding client.pem, its key and the CA, which OpenSSL and --client-p12 read', async () => {
    const out = path.join(dir, 'certs-p12');
    const run = await runCli(['certs', '--out', out, '--p12', '--p12-password-env', 'P12_PASSWORD'], { env: { P12_PASSWORD: password } });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /client\.p12 +client key, certificate and CA as PKCS#12/);
    const file = path.join(out, 'client.p12');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(await pkcs12Info(file, password), /PBES2, PBKDF2, AES-256-CBC/);
    const contents = readPkcs12(readFileSync(file), password);
    assert.equal(contents.certPem.trim(), readFileSync(path.join(out, 'client.pem'), 'utf8').trim());
    assert.deepEqual(contents.otherPems.map((pem) => pem.trim()), [readFileSync(path.join(out, 'ca.pem'), 'utf8').trim()]);
    const refused = await runCli(['certs', '--out', path.join(dir, 'certs-no-env'), '--p12'], { env: {} });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^mtlspec: --p12 .*client\.p12 needs its password/);
  });
});
