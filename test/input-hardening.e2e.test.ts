import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { packageRoot } from '../src/paths.js';
import { startReferenceServer, type RunningServer } from '../src/servers/index.js';
import { childTmpDir, runCli, startCli, type CliRun } from './support/cli.js';
import { closedPort } from './support/hostile-servers.js';

/**
 * Input the user controls must end as one line and exit 2, quickly, or
 * work: pipes, devices, huge files, out-of-range flags, bad tag
 * expressions, a CA that cannot make a case's signature, two runs sharing a
 * report folder.
 */
const root = mkdtempSync(path.join(tmpdir(), 'mtlspec-inputs-test-'));
const pki = path.join(root, 'pki');
let server: RunningServer;
let unreachable: string;

before(async () => {
  // An Ed25519 PKI as a user would make it, and a server that trusts it for clients.
  const certs = await runCli(['certs', '--out', pki, '--key', 'ed25519']);
  assert.equal(certs.code, 0, certs.stdout + certs.stderr);
  const read = (name: string): string => readFileSync(path.join(pki, name), 'utf8');
  server = await startReferenceServer('http2', {
    clientCaPem: read('ca.pem'), certPem: read('server.pem'), keyPem: read('server.key'),
    allowedSpiffeIds: ['spiffe://example.org/client'], flaws: [], host: '127.0.0.1',
  });
  unreachable = `https://127.0.0.1:${await closedPort()}/`;
});

after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

const ca = (): string => path.join(pki, 'ca.pem');
const caKey = (): string => path.join(pki, 'ca.key');

function assertOneLineError(run: CliRun, pattern: RegExp): void {
  assert.equal(run.code, 2, `exit code; stdout: ${run.stdout} stderr: ${run.stderr}`);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${run.stderr}`);
  assert.match(lines[0] ?? '', /^mtlspec: /);
  assert.match(lines[0] ?? '', pattern);
}

/** The file was read and accepted: the run went on to the (closed) target and stopped there with exit 3. */
function assertReadAndAccepted(run: CliRun): void {
  assert.equal(run.code, 3, run.stdout + run.stderr);
  assert.match(run.stderr, /cannot judge .*connection refused/);
}

function mkfifo(name: string): string {
  const fifo = path.join(root, name);
  const made = spawnSync('mkfifo', [fifo]);
  assert.equal(made.status, 0, String(made.stderr));
  return fifo;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  const value = await work();
  return { value, ms: Date.now() - start };
}

describe('input files: pipes and devices work or fail fast', { concurrency: 4 }, () => {
  it('a FIFO nobody writes to: exit 2 within a few seconds, not a hang', async () => {
    const fifo = mkfifo('no-writer.pem');
    const { value: run, ms } = await timed(() => runCli(['run', '--target', unreachable, '--ca-cert', fifo, '--ca-key', caKey(), '--report-dir', path.join(root, 'reports-1')], 15_000));
    assertOneLineError(run, /--ca-cert .*no-writer\.pem is a pipe \(FIFO\) that nothing wrote to within 3 s/);
    assert.ok(ms < 8000, `ended in ${ms} ms`);
  });

  it('a FIFO with a writer: read once, and the run goes on', async () => {
    const fifo = mkfifo('with-writer.pem');
    // The writer blocks until the CLI opens the FIFO, as `cat ca.pem > fifo` would.
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', ca(), fifo], { stdio: 'ignore' });
    try {
      assertReadAndAccepted(await runCli(['run', '--target', unreachable, '--ca-cert', fifo, '--ca-key', caKey(), '--server-ca', ca(), '--report-dir', path.join(root, 'reports-2')], 15_000));
    } finally {
      writer.kill();
    }
  });

  it('process substitution, read once although the run needs the file twice', async () => {
    const script = `exec "$0" "${path.join(packageRoot, 'bin/mtlspec.js')}" run --target "$1" --ca-cert <(cat "$2") --ca-key <(cat "$3") --server-ca <(cat "$2") --report-dir "$4"`;
    const run = await new Promise<CliRun>((resolve) => {
      const child = spawn('bash', ['-c', script, process.execPath, unreachable, ca(), caKey(), path.join(root, 'reports-substitution')], { env: { ...process.env, CI: 'true', TMPDIR: childTmpDir() } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
    assertReadAndAccepted(run);
  });

  it('/dev/zero: refused at once as a device', async () => {
    const { value: run, ms } = await timed(() => runCli(['run', '--target', unreachable, '--ca-cert', '/dev/zero', '--ca-key', caKey(), '--report-dir', path.join(root, 'reports-3')], 15_000));
    assertOneLineError(run, /--ca-cert \/dev\/zero is a device, not a file/);
    assert.ok(ms < 5000, `ended in ${ms} ms`);
  });

  it('a file over 1 MiB', async () => {
    const big = path.join(root, 'big.pem');
    writeFileSync(big, readFileSync(ca(), 'utf8').repeat(3000));
    assertOneLineError(await runCli(['run', '--target', unreachable, '--ca-cert', ca(), '--ca-key', caKey(), '--server-ca', big, '--report-dir', path.join(root, 'reports-4')], 15_000), /--server-ca .*big\.pem is larger than 1 MiB/);
  });

  it('a config file that is a FIFO nobody writes to', async () => {
    const fifo = mkfifo('config.json');
    assertOneLineError(await runCli(['run', '--config', fifo], 15_000), /--config .*config\.json is a pipe \(FIFO\) that nothing wrote to/);
  });
});

describe('flags checked before the network', { concurrency: 3 }, () => {
  it('--timeout above 2 minutes', async () => {
    assertOneLineError(await runCli(['run', '--timeout', '999999999'], 15_000), /--timeout must be at most 120000 ms \(2 minutes\) for one probe \(got 999999999\)/);
  });

  it('--tags that does not parse is a usage error, not an internal one', async () => {
    assertOneLineError(await runCli(['run', '--tags', '@a and ('], 15_000), /--tags "@a and \(" is not a tag expression: syntax error: Unmatched \(/);
  });

  it('--tags that would break out of the protocol filter is refused', async () => {
    // "(@http2) and (@x) or (@grpc)" would run gRPC scenarios against an HTTP/2 target.
    assertOneLineError(await runCli(['run', '--target', server.url, '--ca-cert', ca(), '--ca-key', caKey(), '--tags', '@x) or (@grpc'], 15_000), /--tags .* is not a tag expression: syntax error: Unmatched \)/);
  });
});

describe("a user's Ed25519 CA", () => {
  let run: CliRun;
  let results: { scenarios: Array<{ record?: { caseId: string; probe?: { clientCertificate?: { notBefore: string; notAfter: string } } } }> };
  const reportDir = path.join(root, 'ed25519');
  let startedAt: number;

  before(async () => {
    startedAt = Date.now();
    run = await runCli(['run', '--target', server.url, '--ca-cert', ca(), '--ca-key', caKey(), '--server-ca', ca(), '--report-dir', reportDir,
      '--case', 'x509/valid', '--case', 'x509/validity', '--case', 'x509/crypto/sha1-signature', '--case', 'x509/crypto/md5-signature', '--case', 'x509/chain/intermediate-sent'], 60_000);
    results = JSON.parse(readFileSync(path.join(reportDir, 'results.json'), 'utf8')) as typeof results;
  });

  it('skips the SHA-1 case with the reason, and judges the rest', () => {
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /SKIP\s+x509\/crypto\/sha1-signature over http2[^\n]*\n\s+the CA's Ed25519 key cannot make a SHA-1 signature/);
    // MD5 is made by mtlspec's own RSA intermediate, which the Ed25519 CA can sign.
    assert.match(run.stdout, /(PASS|WARN)\s+x509\/crypto\/md5-signature over http2/);
    assert.match(run.stdout, /PASS\s+x509\/valid over http2/);
    assert.doesNotMatch(run.stdout + run.stderr, /internal error|FAIL/);
  });

  it('every credential it minted is valid for about an hour around the run, and the validity cases keep their meaning', () => {
    const now = Date.now();
    const minute = 60_000;
    const windows = new Map(results.scenarios.flatMap((s) => {
      const cert = s.record?.probe?.clientCertificate;
      return s.record && cert ? [[s.record.caseId, { notBefore: Date.parse(cert.notBefore), notAfter: Date.parse(cert.notAfter) }] as const] : [];
    }));
    for (const id of ['x509/valid', 'x509/chain/intermediate-sent', 'x509/crypto/md5-signature']) {
      const window = windows.get(id);
      assert.ok(window, `${id} has a certificate in results.json`);
      // Certificate times have whole seconds.
      assert.ok(window.notAfter <= now + 60 * minute, `${id} ends within the hour: ${new Date(window.notAfter).toISOString()}`);
      assert.ok(window.notBefore >= startedAt - 6 * minute, `${id} starts a few minutes back: ${new Date(window.notBefore).toISOString()}`);
    }
    const expired = windows.get('x509/validity/expired');
    const notYet = windows.get('x509/validity/not-yet-valid');
    const soon = windows.get('x509/validity/expires-soon');
    assert.ok(expired && notYet && soon);
    assert.ok(expired.notAfter < startedAt, 'expired is still expired');
    assert.ok(notYet.notBefore > now + 30 * minute && notYet.notAfter <= now + 60 * minute, 'not-yet-valid starts well ahead, and ends within the hour');
    assert.ok(soon.notAfter > now && soon.notAfter <= now + 6 * minute, 'expires-soon is left as it is: minutes');
    assert.match(run.stdout, /(PASS|WARN)\s+x509\/validity\/not-yet-valid over http2/);
  });
});

describe('two runs into one --report-dir', () => {
  it('the second is refused with the first one\'s pid; the first finishes with reports that agree with its exit code', async () => {
    const reportDir = path.join(root, 'shared');
    const first = startCli(['run', '--report-dir', reportDir]);
    try {
      const lock = path.join(reportDir, '.mtlspec.lock');
      const deadline = Date.now() + 20_000;
      while (!existsSync(lock)) {
        assert.ok(Date.now() < deadline, 'the first run took the lock');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const second = await runCli(['run', '--case', 'x509/valid', '--report-dir', reportDir], 30_000);
      assertOneLineError(second, new RegExp(`--report-dir .*shared is in use by another mtlspec run \\(pid ${first.pid}, started `));
      const code = await first.exited;
      assert.equal(code, 0, first.output() + first.errors());
      assert.deepEqual(readdirSync(reportDir).sort(), ['conformance.html', 'index.html', 'junit.xml', 'messages.ndjson', 'results.json']);
      const junit = readFileSync(path.join(reportDir, 'junit.xml'), 'utf8');
      const total = Number(/mtlspec: (\d+) scenarios/.exec(first.output())?.[1]);
      assert.equal([...junit.matchAll(/<testcase /g)].length, total, 'junit.xml is the first run\'s, whole');
      assert.doesNotMatch(junit, /<failure/);
    } finally {
      await first.stop('SIGKILL');
    }
  });

  it('a lock file naming a process that is gone does not block', async () => {
    const reportDir = path.join(root, 'stale');
    const run0 = await runCli(['run', '--case', 'x509/valid', '--report-dir', reportDir], 30_000);
    assert.equal(run0.code, 0, run0.stdout + run0.stderr);
    // A pid that cannot be running: the largest Linux allows is 4194304.
    writeFileSync(path.join(reportDir, '.mtlspec.lock'), JSON.stringify({ pid: 4194305, host: hostname(), startTicks: null, bootId: null }));
    const run = await runCli(['run', '--case', 'x509/valid', '--report-dir', reportDir], 30_000);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(existsSync(path.join(reportDir, '.mtlspec.lock')), false, 'released at the end');
  });
});
