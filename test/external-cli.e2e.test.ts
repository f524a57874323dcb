import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { createRunPki, loopbackHosts, PrivateDir, type RunPki } from '../src/pki/index.js';
import { startReferenceServer, type RunningServer } from '../src/servers/index.js';
import { failingScenarios, runCli, type CliRun } from './support/cli.js';
import { readRecords } from './support/records.js';
import { closedPort, http1OnlyTlsServer, plainTcpServer, silentServer, type HostileServer } from './support/hostile-servers.js';

/**
 * `mtlspec run --target`, end to end: the built-in servers started here play
 * the user's server, so the CLI sees only a URL and PEM files, as a user's
 * run would. Then every kind of bad input and broken target.
 */
const spiffeId = 'spiffe://example.org/client';
let pki: RunPki;
let files: PrivateDir;
let paths: Record<'ca' | 'caKey' | 'client' | 'clientKey' | 'serverKey' | 'garbage', string>;
let http2: RunningServer;
let grpc: RunningServer;
const reportRoot = mkdtempSync(path.join(tmpdir(), 'mtlspec-cli-'));

before(async () => {
  pki = await createRunPki({ clientSpiffeId: spiffeId, trustedCa: 'generate', serverHosts: loopbackHosts });
  assert.ok(pki.trustedCa && pki.server);
  const client = await pki.issue(pki.validClientTemplate());
  files = new PrivateDir();
  paths = {
    ca: files.write('ca.pem', pki.trustedCa.certPem),
    caKey: files.write('ca.key', pki.trustedCa.key.privateKeyPem),
    client: files.write('client.pem', client.certPem),
    clientKey: files.write('client.key', client.keyPem),
    serverKey: files.write('server.key', pki.server.keyPem),
    garbage: files.write('garbage.pem', 'this is not a PEM file\n'),
  };
  const options = { clientCaPem: pki.trustedCa.certPem, certPem: pki.server.certPem, keyPem: pki.server.keyPem, allowedSpiffeIds: [spiffeId], flaws: [] };
  [http2, grpc] = await Promise.all([startReferenceServer('http2', options), startReferenceServer('grpc', options)]);
});

after(async () => {
  await Promise.all([http2?.close(), grpc?.close()]);
  files?.remove();
  rmSync(reportRoot, { recursive: true, force: true });
});

const reportDir = (name: string): string => path.join(reportRoot, name);
const grpcHealthUrl = (): string => `grpcs://127.0.0.1:${grpc.port}`;

/** Every byte a run left for people to read: its terminal output and its report files. */
function everythingWritten(run: CliRun, dir: string): string {
  const reports = readdirSync(dir).map((file) => readFileSync(path.join(dir, file), 'utf8'));
  return [run.stdout, run.stderr, ...reports].join('\n');
}

function assertOneLineError(run: CliRun, code: number, pattern: RegExp): void {
  assert.equal(run.code, code, `exit code; stderr: ${run.stderr}`);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${run.stderr}`);
  assert.match(lines[0] ?? '', /^mtlspec: /);
  assert.match(lines[0] ?? '', pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
}

describe('run --target against a server the CLI knows only by URL', () => {
  it('with the CA: every case runs on HTTP/2, all pass, and the CA key is nowhere in the output or reports', async () => {
    const dir = reportDir('http2-ca');
    const run = await runCli(['run', '--target', http2.url, '--ca-cert', paths.ca, '--ca-key', paths.caKey, '--server-ca', paths.ca, '--spiffe-id', spiffeId, '--report-dir', dir, '--log-level', 'debug']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /47 scenarios: \d+ passed( \(\+\d+ passed with a SHOULD warning\))?, 0 failed, 0 inconclusive, 2 skipped, 5 informational in/);
    assert.doesNotMatch(run.stdout, / over (grpc|tls|pinned) /, 'only the target protocol runs');
    const keyBody = pki.trustedCa?.key.privateKeyPem.split('\n').slice(1, -2).join('') ?? '';
    assert.ok(keyBody.length > 60);
    const written = everythingWritten(run, dir);
    assert.ok(!written.includes(keyBody.slice(10, 60)), 'the CA key body appears nowhere');
    assert.doesNotMatch(written, /PRIVATE KEY/);
    assert.match(run.stderr, /"msg":"external target"/, 'debug logs were on, so the check above meant something');
  });

  it('with one client credential: cases needing the CA key, or an unknown SPIFFE policy, are skipped with the reason', async () => {
    const run = await runCli(['run', '--target', grpcHealthUrl(), '--client-cert', paths.client, '--client-key', paths.clientKey, '--server-ca', paths.ca, '--report-dir', reportDir('grpc-client')]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /47 scenarios: \d+ passed( \(\+\d+ passed with a SHOULD warning\))?, 0 failed, 0 inconclusive, \d+ skipped in/);
    assert.match(run.stdout, /SKIP\s+x509\/usage\/eku-server-auth-only over grpc[^\n]*\n\s+needs --ca-cert and --ca-key/);
    assert.match(run.stdout, /SKIP\s+x509\/validity\/expired over grpc/);
    assert.match(run.stdout, /SKIP\s+spiffe\/wrong-id over grpc[^\n]*\n\s+the target's SPIFFE policy is unknown/);
    assert.deepEqual(failingScenarios(run.stdout), []);
  });

  it('settings come from a config file and MTLSPEC_* variables, and flags win', async () => {
    const cwd = mkdtempSync(path.join(reportRoot, 'cfg-'));
    writeFileSync(path.join(cwd, 'mtlspec.config.yaml'), `target: ${http2.url}\nca-cert: ${paths.ca}\nca-key: ${paths.caKey}\nserver-ca: ${paths.ca}\nreport-dir: out\n`);
    const fromFile = await runCli(['run', '--tags', '@validity'], { cwd });
    assert.equal(fromFile.code, 0, fromFile.stdout + fromFile.stderr);
    assert.match(fromFile.stdout, /x509\/validity\/expired over http2/);
    assert.ok(readdirSync(path.join(cwd, 'out')).includes('junit.xml'), 'report-dir resolved against the config file');

    const envWins = await runCli(['run', '--tags', '@validity'], { cwd, env: { MTLSPEC_TARGET: 'ftp://127.0.0.1:1/' } });
    assertOneLineError(envWins, 2, /unsupported scheme "ftp:"/);

    const flagWins = await runCli(['run', '--tags', '@validity', '--target', http2.url], { cwd, env: { MTLSPEC_TARGET: 'ftp://127.0.0.1:1/' } });
    assert.equal(flagWins.code, 0, flagWins.stdout + flagWins.stderr);
  });
});

describe('every connection the run makes is one the report shows', () => {
  /** A TCP relay in front of the HTTP/2 server that counts the connections it is asked for, and the most open at once. */
  async function countingRelay(): Promise<{ url: string; connections: () => number; mostAtOnce: () => number; starts: () => number[]; close: () => Promise<void> }> {
    let count = 0;
    const startTimes: number[] = [];
    let open = 0;
    let most = 0;
    const relay = net.createServer((client) => {
      count++;
      startTimes.push(performance.now());
      most = Math.max(most, ++open);
      const upstream = net.connect(http2.port, '127.0.0.1');
      client.pipe(upstream).pipe(client);
      let ended = false;
      const end = (): void => {
        if (!ended) open--;
        ended = true;
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const { port } = relay.address() as net.AddressInfo;
    return {
      url: `https://127.0.0.1:${port}/hello`,
      connections: () => count,
      mostAtOnce: () => most,
      starts: () => startTimes,
      close: () => new Promise((resolve) => relay.close(() => resolve())),
    };
  }

  // No probe may be made for a scenario the run does not have, nor two at once against a user's server.
  for (const [selection, args] of [
    ['--case', ['--case', 'x509/validity', '--case', 'tls/no-client-cert']],
    ['--tags', ['--tags', '@validity']],
    ['--rate 10', ['--tags', '@validity', '--rate', '10']],
  ] as const) {
    it(`with ${selection}: one connection per scenario, the first control, and a repeat and a control after each bare refusal, one at a time`, async () => {
      const relay = await countingRelay();
      try {
        const dir = reportDir(`count-${selection}`);
        const run = await runCli(['run', '--target', relay.url, '--ca-cert', paths.ca, '--ca-key', paths.caKey, '--server-ca', paths.ca, ...args, '--report-dir', dir], 30_000);
        assert.equal(run.code, 0, run.stdout + run.stderr);
        const scenarios = Number(/mtlspec: (\d+) scenarios/.exec(run.stdout)?.[1]);
        assert.equal(scenarios, selection === '--case' ? 4 : 3);
        const records = readRecords(dir);
        const refusals = records.filter((r) => r.probe?.outcome.kind === 'rejected');
        assert.equal(refusals.length, selection === '--case' ? 3 : 2, 'expired, not-yet-valid (and no-client-cert) are refused');
        // Each refusal is bracketed: the control after it was probed on a fresh connection and accepted.
        for (const refusal of refusals) assert.equal(refusal.controlAfter?.outcome.kind, 'accepted', refusal.caseId);
        // The built-in server refuses a bad certificate with a bare close after the handshake: no signal, so that
        // refusal was probed twice; a missing one gets the alert certificate_required, a signal, probed once.
        const bare = refusals.filter((r) => r.probe?.outcome.tls.alert === undefined);
        assert.equal(bare.length, 2, 'expired and not-yet-valid: bare closes');
        for (const refusal of refusals) assert.equal(refusal.repeat?.outcome.kind, bare.includes(refusal) ? 'rejected' : undefined, `${refusal.caseId}: repeated only without a signal`);
        assert.ok(records.every((r) => r.probe?.attempts === 1), 'nothing was shed, so nothing was retried');
        // The preflight's control, one probe per scenario, a repeat per bare refusal, and a control after each refusal.
        assert.equal(relay.connections(), 1 + scenarios + bare.length + refusals.length);
        // A user's server never sees more of mtlspec's connections at once than when scenarios probed in turn.
        assert.equal(relay.mostAtOnce(), 1);
        if (selection === '--rate 10') {
          // The relay sees each connection a little after the CLI opens it, by as much as a busy machine delays it:
          // single gaps jitter, but from the first to the last, n connections at 10/s span at least (n - 1) x 100 ms.
          const starts = relay.starts();
          const span = (starts.at(-1) ?? 0) - (starts[0] ?? 0);
          assert.ok(span >= (starts.length - 1) * 100 - 50, `${starts.length} connections at --rate 10 spanned ${Math.round(span)} ms`);
        }
      } finally {
        await relay.close();
      }
    });
  }
});

// Independent CLI processes: run them side by side.
describe('revocation against a target the user configures', () => {
  it('--crl-out writes the CRL; the case is skipped until --target-has-crl, then judged, and it catches a target without the CRL', async () => {
    const crlFile = path.join(reportRoot, 'client-ca.crl');
    const common = (url: string): string[] => ['run', '--target', url, '--ca-cert', paths.ca, '--ca-key', paths.caKey, '--server-ca', paths.ca, '--case', 'x509/revocation'];
    const first = await runCli([...common(http2.url), '--crl-out', crlFile, '--report-dir', reportDir('crl-1')], 30_000);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /SKIP\s+x509\/revocation\/revoked over http2[^\n]*\n\s+the target has not been given the CRL/);
    const crl = readFileSync(crlFile, 'utf8');
    assert.match(crl, /^-----BEGIN X509 CRL-----/);

    // The same CA's CRL, loaded by a server the way a user would reload theirs.
    assert.ok(pki.trustedCa && pki.server);
    const withCrl = await startReferenceServer('http2', {
      clientCaPem: pki.trustedCa.certPem, certPem: pki.server.certPem, keyPem: pki.server.keyPem, allowedSpiffeIds: [spiffeId], flaws: [], crlPems: [crl],
    });
    try {
      const judged = await runCli([...common(withCrl.url), '--target-has-crl', '--report-dir', reportDir('crl-2')], 30_000);
      assert.equal(judged.code, 0, judged.stdout + judged.stderr);
      assert.match(judged.stdout, /(PASS|WARN)\s+x509\/revocation\/revoked over http2/);
    } finally {
      await withCrl.close();
    }
    // Claiming the CRL is loaded when it is not: the harness says the revoked certificate got in.
    const caught = await runCli([...common(http2.url), '--target-has-crl', '--report-dir', reportDir('crl-3')], 30_000);
    assert.equal(caught.code, 1, caught.stdout + caught.stderr);
    assert.deepEqual(failingScenarios(caught.stdout), ['x509/revocation/revoked@http2']);
  });
});

describe("the server's own certificate", () => {
  it('untrusted (no --server-ca): the chain case fails with the reason, and the client cases are still judged', async () => {
    const run = await runCli(['run', '--target', http2.url, '--ca-cert', paths.ca, '--ca-key', paths.caKey, '--report-dir', reportDir('no-server-ca')], 30_000);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.deepEqual(failingScenarios(run.stdout), ['server/chain/trusted@http2']);
    assert.match(run.stdout, /FAIL\s+server\/chain\/trusted over http2[^\n]*\n\s+the chain does not verify to the trust given with --server-ca \(or the system roots\): [A-Z_]+/);
    assert.match(run.stdout, /(PASS|WARN)\s+x509\/validity\/expired over http2/);
  });

  it('with --server-spiffe-id: the server must present exactly that ID', async () => {
    const run = await runCli(['run', '--target', http2.url, '--ca-cert', paths.ca, '--ca-key', paths.caKey, '--server-ca', paths.ca, '--server-spiffe-id', 'spiffe://example.org/server', '--case', 'server', '--report-dir', reportDir('server-id')], 30_000);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.deepEqual(failingScenarios(run.stdout), ['server/spiffe/id@http2'], 'the test server has no URI SAN');
    assert.match(run.stdout, /it presents no URI SAN, not exactly spiffe:\/\/example.org\/server/);
  });
});

describe('bad input: one line on stderr, exit 2, before any probe', { concurrency: 4 }, () => {
  const target = (): string[] => ['run', '--target', http2.url, '--server-ca', paths.ca];
  const cases: Array<[string, () => string[], RegExp]> = [
    ['a bad URL scheme', () => ['run', '--target', 'http://127.0.0.1:8080/', '--ca-cert', paths.ca, '--ca-key', paths.caKey], /--target: unsupported scheme "http:"/],
    ['a URL without a port', () => ['run', '--target', 'https://localhost/hello', '--ca-cert', paths.ca, '--ca-key', paths.caKey], /names no port/],
    ['a missing PEM file', () => [...target(), '--ca-cert', '/nonexistent/ca.pem', '--ca-key', paths.caKey], /--ca-cert \/nonexistent\/ca.pem does not exist/],
    ['a directory instead of a PEM', () => [...target(), '--ca-cert', reportRoot, '--ca-key', paths.caKey], /--ca-cert .* is a directory/],
    ['a file that holds no PEM', () => [...target(), '--client-cert', paths.garbage, '--client-key', paths.clientKey], /--client-cert .*garbage.pem holds no PEM certificate/],
    ['swapped cert and key', () => [...target(), '--client-cert', paths.clientKey, '--client-key', paths.client], /holds no PEM certificate \(it holds a private key: swapped flags\?\)/],
    ['a key that does not match its certificate', () => [...target(), '--client-cert', paths.client, '--client-key', paths.serverKey], /--client-key .* does not match --client-cert .* \(their public keys differ\)/],
    ['a CA key without its certificate', () => [...target(), '--ca-key', paths.caKey], /--ca-key needs --ca-cert/],
    ['a leaf given as the CA', () => [...target(), '--ca-cert', paths.client, '--ca-key', paths.clientKey], /is not a CA certificate/],
    ['both a CA and a client credential', () => [...target(), '--ca-cert', paths.ca, '--ca-key', paths.caKey, '--client-cert', paths.client, '--client-key', paths.clientKey], /either --ca-cert\/--ca-key or --client-cert\/--client-key, not both/],
    ['no credential for a target', () => target(), /needs a client credential the target trusts/],
    ['a credential without a target', () => ['run', '--ca-cert', paths.ca, '--ca-key', paths.caKey], /--ca-cert needs --target/],
    ['--send on an HTTP/2 target', () => [...target(), '--ca-cert', paths.ca, '--ca-key', paths.caKey, '--send', 'hi'], /--send applies to tls:\/\/ targets only/],
    ['--expect on an HTTP/2 target', () => [...target(), '--ca-cert', paths.ca, '--ca-key', paths.caKey, '--expect', '^OK'], /--expect applies to tls:\/\/ targets only/],
    ['--expect that is no regular expression', () => ['run', '--target', 'tls://127.0.0.1:1', '--expect', '(', '--ca-cert', paths.ca, '--ca-key', paths.caKey], /--expect "\(" is not a regular expression: .*Unterminated group/],
    ['--http1 on a gRPC target', () => ['run', '--target', grpcHealthUrl(), '--http1', '--ca-cert', paths.ca, '--ca-key', paths.caKey], /--http1 applies to https:\/\/ targets only; gRPC runs over HTTP\/2 only/],
    ['--http1 and --http2 together', () => [...target(), '--http1', '--http2', '--ca-cert', paths.ca, '--ca-key', paths.caKey], /--http1 and --http2 exclude each other/],
    ['--http2 without a target', () => ['run', '--http2'], /--http2 needs --target/],
    ['a malformed SPIFFE ID', () => [...target(), '--ca-cert', paths.ca, '--ca-key', paths.caKey, '--spiffe-id', 'spiffe://Example.org/a'], /is not a SPIFFE ID: trust domain "Example.org" has characters outside/],
    ['a negative timeout', () => ['run', '--timeout', '-5'], /--timeout must be a positive number/],
    ['a zero --rate', () => ['run', '--rate', '0'], /--rate must be a number of connections per second above 0/],
    ['an unknown flag', () => ['run', '--frobnicate'], /Unknown argument/],
    ['an unknown case', () => ['run', '--case', 'x509/nonsense'], /--case "x509\/nonsense" matches no case/],
    ['a CRL to write without a CA key', () => [...target(), '--client-cert', paths.client, '--client-key', paths.clientKey, '--crl-out', path.join(reportRoot, 'x.crl')], /--crl-out needs --ca-cert and --ca-key/],
    ['a CRL to write into a folder that does not exist', () => [...target(), '--ca-cert', paths.ca, '--ca-key', paths.caKey, '--crl-out', path.join(reportRoot, 'no-such-dir', 'x.crl')], /--crl-out .*x\.crl cannot be written \(its folder does not exist\)/],
    ['a report folder under a file', () => ['run', '--report-dir', path.join(paths.garbage, 'reports')], /--report-dir .*garbage\.pem\/reports cannot be used \(a file is in the way\)/],
    ['a flag given twice', () => ['run', '--target', 'tls://127.0.0.1:1', '--send', 'a', '--send', 'b', '--ca-cert', paths.ca, '--ca-key', paths.caKey], /--send was given more than once/],
  ];
  for (const [name, args, pattern] of cases) {
    it(name, async () => assertOneLineError(await runCli(args(), 15_000), 2, pattern));
  }

  it('a config file that does not parse', async () => {
    const cwd = mkdtempSync(path.join(reportRoot, 'badcfg-'));
    writeFileSync(path.join(cwd, 'mtlspec.config.json'), '{ "target": ');
    assertOneLineError(await runCli(['run'], { cwd }), 2, /config file .*mtlspec.config.json does not parse/);
  });
});

describe('broken targets: one line, exit 3, within the timeout', { concurrency: 3 }, () => {
  const timeoutMs = 1500;
  /** Node start-up, PKI and the one preflight probe; generous for a loaded 2-core machine. */
  const overheadMs = 4000;
  const hostile: HostileServer[] = [];
  let brokenRuns = 0;
  after(async () => Promise.all(hostile.map((s) => s.close())));

  async function expectInconclusive(url: string, pattern: RegExp): Promise<void> {
    const started = Date.now();
    // A report folder each: runs side by side into one folder would wait on its lock.
    const run = await runCli(['run', '--target', url, '--ca-cert', paths.ca, '--ca-key', paths.caKey, '--server-ca', paths.ca, '--timeout', String(timeoutMs), '--report-dir', reportDir(`broken-${++brokenRuns}`)], 30_000);
    const elapsed = Date.now() - started;
    assertOneLineError(run, 3, pattern);
    assert.ok(elapsed < timeoutMs + overheadMs, `ended in ${elapsed} ms`);
  }

  it('a closed port', async () => {
    await expectInconclusive(`https://127.0.0.1:${await closedPort()}/`, /cannot judge .*connection refused: nothing listens on that port/);
  });

  it('a plain-TCP listener', async () => {
    const server = await plainTcpServer();
    hostile.push(server);
    await expectInconclusive(`grpcs://127.0.0.1:${server.port}`, /cannot judge .*did not answer in TLS .*plain-TCP or plain-HTTP port/);
  });

  it('an HTTP/1.1-only TLS server is judged over HTTP/1.1: it asks for no certificate, so a client without one gets in', async () => {
    assert.ok(pki.server);
    const server = await http1OnlyTlsServer(pki.server.certPem, pki.server.keyPem);
    hostile.push(server);
    const run = await runCli(['run', '--target', `https://127.0.0.1:${server.port}/`, '--ca-cert', paths.ca, '--ca-key', paths.caKey, '--server-ca', paths.ca, '--case', 'tls/no-client-cert', '--case', 'x509/valid', '--report-dir', reportDir('http1-only')], 30_000);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.deepEqual(failingScenarios(run.stdout), ['tls/no-client-cert@http2'], run.stdout);
    assert.match(run.stdout, /^mtlspec: judged over HTTP\/1\.1 \(the server chose ALPN http\/1\.1\); the scenarios keep the https:\/\/ label "http2"$/m);
    assert.match(run.stdout, /tls\/no-client-cert over http2 .*\n\s+the target accepted a connection it must refuse \(HTTP 200: the request reached the application \(over HTTP\/1\.1, ALPN http\/1\.1\)\)/);
  });

  it('an HTTP/1.1-only TLS server named by grpcs://: the line names https://', async () => {
    assert.ok(pki.server);
    const server = await http1OnlyTlsServer(pki.server.certPem, pki.server.keyPem);
    hostile.push(server);
    await expectInconclusive(`grpcs://127.0.0.1:${server.port}`, new RegExp(`cannot judge .*ALPN h2 .*gRPC runs only over HTTP/2: is it an HTTP/1\\.1 server\\? Test it with https://127\\.0\\.0\\.1:${server.port}/path`));
  });

  it('an HTTP/1.1-only TLS server with --http2: the line names the flag to drop', async () => {
    assert.ok(pki.server);
    const server = await http1OnlyTlsServer(pki.server.certPem, pki.server.keyPem);
    hostile.push(server);
    const run = await runCli(['run', '--target', `https://127.0.0.1:${server.port}/`, '--http2', '--ca-cert', paths.ca, '--ca-key', paths.caKey, '--server-ca', paths.ca, '--report-dir', reportDir('http1-only-forced')], 30_000);
    assertOneLineError(run, 3, /cannot judge .*ALPN h2.*--http2 forces HTTP\/2: drop --http2 to test it over HTTP\/1\.1/);
  });

  it('a gRPC server named by https://: the wrong protocol, said so', async () => {
    await expectInconclusive(`https://127.0.0.1:${grpc.port}/`, /is the wrong protocol for this URL: the server answered a plain GET with HTTP 415 \(Unsupported Media Type\), as gRPC servers do: if it is one, use grpcs:\/\//);
  });

  it('a listener that accepts and never answers', async () => {
    const server = await silentServer();
    hostile.push(server);
    await expectInconclusive(`tls://127.0.0.1:${server.port}`, new RegExp(`cannot judge .*no TLS handshake within ${timeoutMs} ms`));
  });


  it('a grpcs:// URL at a plain HTTP/2 server: the wrong protocol, said so', async () => {
    await expectInconclusive(`grpcs://127.0.0.1:${http2.port}`, /is the wrong protocol for this URL: the server answered HTTP 404 with application\/json and no grpc-status: it is not a gRPC server; for a plain HTTP\/2 server use https:\/\//);
  });

  it('a server that refuses the valid control', async () => {
    const run = await runCli(['run', '--target', http2.url, '--ca-cert', paths.ca, '--ca-key', paths.caKey, '--server-ca', paths.ca, '--spiffe-id', 'spiffe://example.org/nobody', '--report-dir', reportDir('refused-control')], 30_000);
    assertOneLineError(run, 3, /refused the valid control credential \(the application refused it\), so no case can be judged \(rejected at application: HTTP 403/);
  });
});
