import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { clientCases } from '../fixtures/client-cases.js';
import { sniLabel } from '../src/client/case.js';
import { fillPlaceholders } from '../src/client/client-process.js';
import { caseIdOfScenario, clientFeaturesDir } from '../src/client/selection.js';
import { runCli, startCli } from './support/cli.js';
import { readRunResults } from './support/records.js';

/**
 * `mtlspec client` as a user meets it: bad input is one line and exit 2,
 * a client that hangs or never connects is killed at the timeout and never
 * passes, --case and --tags select as in `run`, the reports are the same,
 * and --listen serves a case per connection, in order or by SNI. The
 * client here is Node's own tls.connect, in this process for --listen.
 */
const root = mkdtempSync(path.join(tmpdir(), 'mtlspec-client-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));
const reportDir = (name: string): string => path.join(root, name);

/** A correct client in one line of shell: Node's tls.connect, verifying, sending a request. */
const nodeClient = (rejectUnauthorized: boolean): string =>
  `${process.execPath} -e "const s=require('tls').connect({host:process.argv[1],port:+process.argv[2],servername:process.argv[1],ca:require('fs').readFileSync(process.argv[3]),minVersion:'TLSv1.3',rejectUnauthorized:${rejectUnauthorized}},()=>s.write('GET / HTTP/1.1\\r\\nhost: x\\r\\n\\r\\n'));s.on('data',()=>process.exit(0));s.on('error',()=>process.exit(1))" {host} {port} {ca}`;

/** Whether a process still runs: gone, or a zombie its killed parent left to an init that does not reap (containers). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('mtlspec client: bad input', () => {
  const usage: Array<[string, string[], RegExp]> = [
    ['no client', [], /name the client under test: --exec/],
    ['both modes', ['--exec', 'true {port}', '--listen', '0'], /exclude each other/],
    ['no port in the command', ['--exec', 'curl https://localhost/'], /--exec must use \{url\} or \{port\}/],
    ['an unknown case', ['--exec', 'true {url}', '--case', 'client/nope'], /--case "client\/nope" matches no client case/],
    ['a tag expression that does not parse', ['--exec', 'true {url}', '--tags', '@a and ('], /--tags "@a and \(" is not a tag expression/],
    ['a zero timeout', ['--exec', 'true {url}', '--timeout', '0'], /--timeout must be a positive number/],
    ['an unknown profile', ['--exec', 'true {url}', '--profile', 'lax'], /--profile "lax" is not a profile/],
    ['a port out of range', ['--listen', '70000'], /--listen must be a port number/],
    ['a bad SPIFFE ID', ['--exec', 'true {url}', '--server-spiffe-id', 'https://x'], /--server-spiffe-id "https:\/\/x" is not a SPIFFE ID/],
  ];
  for (const [what, args, message] of usage) {
    it(`${what}: one line, exit 2`, async () => {
      const run = await runCli(['client', '--report-dir', reportDir('usage'), ...args]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      assert.doesNotMatch(run.stderr, /\bat .+:\d+:\d+/, 'no stack trace');
    });
  }

  it('a command the shell cannot find: one line, exit 2, before any case', async () => {
    const run = await runCli(['client', '--report-dir', reportDir('no-such-command'), '--exec', 'mtlspec-no-such-client {url}']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /^mtlspec: --exec: the command was not found \(the shell exited 127\): .*mtlspec-no-such-client.*not found\n$/);
  });

  it('folders that cannot be used (a file, a path under /proc where Node\'s recursive mkdir spins): one line, exit 2, at once', async () => {
    const file = path.join(root, 'a-file');
    writeFileSync(file, '');
    for (const [args, message] of [
      [['--pki-dir', file, '--report-dir', reportDir('pki-file')], /^mtlspec: --pki-dir .*a-file cannot be used \(ENOTDIR\)\n$/],
      [['--report-dir', '/proc/mtlspec-no-such-dir'], /^mtlspec: --report-dir \/proc\/mtlspec-no-such-dir cannot be used \(ENOENT\)\n$/],
    ] as const) {
      const run = await runCli(['client', '--exec', 'true {url}', ...args], 15_000);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
    }
  });

  it('a port in use: one line, exit 2', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const run = await runCli(['client', '--listen', String(port), '--report-dir', reportDir('in-use')]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, new RegExp(`^mtlspec: port ${port} cannot be used \\(in use\\)`));
    } finally {
      taken.close();
    }
  });
});

describe('mtlspec client: a client that cannot be judged is never passed', () => {
  it('one that hangs without connecting is killed at the timeout (its process group too): exit 3, no report', async () => {
    const pidFile = path.join(root, 'hang.pid');
    const started = performance.now();
    // The shell starts a child that outlives it unless the whole group is killed.
    const run = await runCli(['client', '--timeout', '800', '--report-dir', reportDir('hang'), '--exec', `sh -c 'sleep 30 & echo $! > ${pidFile}; wait' # {port}`]);
    const elapsedMs = performance.now() - started;
    assert.equal(run.code, 3, run.stdout + run.stderr);
    assert.match(run.stderr, /^mtlspec: the client did not accept the valid server credential \(the control client\/valid\): the client did not connect within 800 ms, and was killed/);
    assert.ok(elapsedMs < 10_000, `bounded: ${Math.round(elapsedMs)} ms`);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(!alive(pid), 'the client\'s child was killed with its group');
    assert.equal(existsSync(path.join(reportDir('hang'), 'results.json')), false);
  });

  it('SIGTERM mid-run: the client\'s process group is killed, the private folder removed, exit 143', async () => {
    const tmp = mkdtempSync(path.join(root, 'tmp-'));
    const pidFile = path.join(root, 'term.pid');
    const cli = startCli(['client', '--timeout', '20000', '--report-dir', reportDir('term'), '--exec', `sh -c 'echo $$ > ${pidFile}; exec sleep 30' # {port}`], { env: { TMPDIR: tmp } });
    await cli.waitFor(/client under test/);
    const deadline = Date.now() + 5000;
    while (!existsSync(pidFile) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.equal(readdirSync(tmp).filter((name) => name.startsWith('mtlspec-client-')).length, 1, 'the private folder exists while it runs');
    assert.equal(await cli.stop('SIGTERM'), 143);
    assert.deepEqual(readdirSync(tmp).filter((name) => name.startsWith('mtlspec-client-')), [], 'and is gone');
    assert.ok(!alive(Number(readFileSync(pidFile, 'utf8'))), 'the client was killed');
  });

  it('one that exits without connecting: exit 3, with its exit code and stderr in the line', async () => {
    const run = await runCli(['client', '--report-dir', reportDir('exits'), '--exec', 'echo "no route to {host}" >&2; exit 7 # {port}']);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /the client ended \(exit code 7\) without connecting to mtlspec; its stderr ends: no route to localhost/);
  });

  it('one that does not trust the CA it was given refuses the control: exit 3, naming {ca}', async () => {
    const run = await runCli(['client', '--report-dir', reportDir('no-ca'), '--exec', nodeClient(true).replace('{ca}', '/etc/hostname')]);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /the client did not accept the valid server credential.*check that the command gives the client \{ca\}/);
  });
});

describe('mtlspec client --exec: selection and reports, as `run`', () => {
  it('--case selects a prefix, the control always runs; the reports are written; a correct client exits 0', async () => {
    const dir = reportDir('case');
    const run = await runCli(['client', '--report-dir', dir, '--case', 'client/validity', '--exec', nodeClient(true)]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const results = readRunResults(dir);
    assert.deepEqual(results?.scenarios.map((s) => [s.record?.caseId, s.status]), [
      ['client/valid', 'passed'],
      // Node sends no alert when it refuses a server certificate: the SHOULD tier says so.
      ['client/validity/expired', 'warning'],
      ['client/validity/not-yet-valid', 'warning'],
    ]);
    assert.deepEqual(results?.targets, [{ key: 'client', url: nodeClient(true) }]);
    assert.deepEqual(readdirSync(dir).sort(), ['index.html', 'junit.xml', 'results.json']);
    assert.match(readFileSync(path.join(dir, 'junit.xml'), 'utf8'), /<testcase classname="mtlspec.client" name="client\/validity\/expired"/);
    const index = readFileSync(path.join(dir, 'index.html'), 'utf8');
    assert.match(index, /mtlspec client conformance report/);
    assert.doesNotMatch(index, /conformance\.html/, 'no link to a cucumber report the client command does not write');
    assert.match(run.stdout, /^mtlspec: 3 scenarios: 1 passed \(\+2 passed with a SHOULD warning\), 0 failed/m);
  });

  it('a gRPC-style client (ALPN h2 only) gets h2, and its HTTP/2 preface is application data', async () => {
    const dir = reportDir('h2');
    const h2Client = `${process.execPath} -e "const s=require('tls').connect({host:process.argv[1],port:+process.argv[2],servername:process.argv[1],ca:require('fs').readFileSync(process.argv[3]),ALPNProtocols:['h2']},()=>{if(s.alpnProtocol!=='h2')process.exit(2);s.write('PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n')});s.on('close',()=>process.exit(0));s.on('error',()=>process.exit(1))" {host} {port} {ca}`;
    const run = await runCli(['client', '--report-dir', dir, '--case', 'client/chain/self-signed', '--exec', h2Client]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const control = readRunResults(dir)?.scenarios[0]?.record?.probe?.outcome;
    assert.equal(control?.kind === 'accepted' ? control.app.protocol : control?.kind, 'http2');
  });

  it('--tags selects by the client feature files\' tags; a flawed client fails with exit 1', async () => {
    const dir = reportDir('tags');
    const run = await runCli(['client', '--report-dir', dir, '--tags', '@chain and not @control', '--case', 'client/chain/self-signed', '--case', 'client/name', '--exec', nodeClient(false)]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.deepEqual(readRunResults(dir)?.scenarios.map((s) => [s.record?.caseId, s.status]), [['client/valid', 'passed'], ['client/chain/self-signed', 'failed']]);
  });
});

describe('mtlspec client --listen', () => {
  /** One connection as a long-running client makes it: verify, send a request if the certificate was accepted. */
  const connect = (port: number, ca: Buffer, servername: string, rejectUnauthorized = true): Promise<void> =>
    new Promise((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, servername, ca, minVersion: 'TLSv1.3', rejectUnauthorized }, () => socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n'));
      socket.on('data', () => socket.destroy());
      socket.on('error', () => undefined);
      socket.on('close', () => resolve());
    });

  const listen = async (name: string, cases: string[], timeoutMs = 3000): Promise<{ cli: ReturnType<typeof startCli>; port: number; ca: Buffer; dir: string }> => {
    const dir = reportDir(name);
    const pkiDir = path.join(root, `${name}-pki`);
    const cli = startCli(['client', '--listen', '0', '--pki-dir', pkiDir, '--report-dir', dir, '--timeout', String(timeoutMs), '--quiet', ...cases.flatMap((c) => ['--case', c])]);
    const match = await cli.waitFor(/listening on 127\.0\.0\.1(?: and \[::1\])?:(\d+)/);
    return { cli, port: Number(match[1]), ca: readFileSync(path.join(pkiDir, 'ca.pem')), dir };
  };

  it('a case per connection, in order (control first and last): a correct client passes', async () => {
    const { cli, port, ca, dir } = await listen('listen-order', ['client/validity']);
    for (let i = 0; i < 4; i++) await connect(port, ca, 'localhost');
    assert.equal(await cli.exited, 0, cli.output() + cli.errors());
    assert.deepEqual(readRunResults(dir)?.scenarios.map((s) => [s.record?.caseId, s.status]), [
      ['client/valid', 'passed'], ['client/validity/expired', 'warning'], ['client/validity/not-yet-valid', 'warning'],
    ]);
  });

  it('a case by SNI (<case>.localhost), in any order: a client that verifies nothing is caught', async () => {
    const { cli, port, ca, dir } = await listen('listen-sni', ['client/chain/self-signed', 'client/name/wrong-host']);
    for (const id of ['client/name/wrong-host', 'client/valid', 'client/chain/self-signed']) await connect(port, ca, `${sniLabel(id)}.localhost`, false);
    assert.equal(await cli.exited, 1, cli.output() + cli.errors());
    const scenarios = readRunResults(dir)?.scenarios ?? [];
    assert.deepEqual(scenarios.map((s) => [s.record?.caseId, s.status]), [['client/valid', 'passed'], ['client/name/wrong-host', 'failed'], ['client/chain/self-signed', 'failed']]);
    assert.equal(scenarios[1]?.record?.clientRun?.servername, 'name-wrong-host.localhost');
  });

  it('a client that stops connecting: the cases it never reached are inconclusive, exit 3', async () => {
    const { cli, port, ca, dir } = await listen('listen-quiet', ['client/validity'], 1500);
    await connect(port, ca, 'localhost');
    assert.equal(await cli.exited, 3, cli.output() + cli.errors());
    const statuses = readRunResults(dir)?.scenarios.map((s) => [s.record?.caseId, s.status]);
    assert.deepEqual(statuses, [['client/valid', 'passed'], ['client/validity/expired', 'inconclusive'], ['client/validity/not-yet-valid', 'inconclusive']]);
  });
});

describe('the client catalogue', () => {
  it('every case is one Examples row of features/clients/, with its rule; the SNI labels are distinct', () => {
    const rows = readdirSync(clientFeaturesDir).flatMap((file) =>
      [...readFileSync(path.join(clientFeaturesDir, file), 'utf8').matchAll(/^\s*\|\s*(client\/\S+)\s*\|\s*([^|]+?)\s*\|$/gm)].map((m) => ({ id: m[1] ?? '', rule: m[2] ?? '' })),
    );
    assert.deepEqual(rows.map((r) => r.id).sort(), clientCases.map((c) => c.id).sort());
    for (const row of rows) assert.equal(row.rule, clientCases.find((c) => c.id === row.id)?.rule, row.id);
    assert.equal(new Set(clientCases.map((c) => sniLabel(c.id))).size, clientCases.length);
    assert.equal(caseIdOfScenario('the client refuses client/chain/self-signed (RFC 5280 6.1)'), 'client/chain/self-signed');
  });

  it('placeholders become one shell word each; other braces stay', () => {
    const values = { url: 'https://localhost:1/', host: 'localhost', port: '1', ca: "/tmp/it's here/ca.pem", cert: '/c', key: '/k', servername: 'localhost' };
    assert.equal(fillPlaceholders("curl --cacert {ca} {url} | awk '{print}' {nope}", values), "curl --cacert '/tmp/it'\\''s here/ca.pem' https://localhost:1/ | awk '{print}' {nope}");
  });
});
