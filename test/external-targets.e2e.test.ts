import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRunPki, loopbackHosts, PrivateDir } from '../src/pki/index.js';
import { runCli, type CliRun } from './support/cli.js';
import { startNginx, type NginxOptions, type RunningNginx } from './support/nginx.js';
import { startSServer, type RunningSServer, type SServerOptions } from './support/s-server.js';
import { assertVerdicts, skippedByDefault, spiffeCases, undeclared, verdictLines, verificationCases, type ExpectedVerdicts } from './support/verdicts.js';
import { startPythonHttps, type PythonHttpsOptions, type RunningPythonHttps } from './support/python-https.js';

/**
 * The CLI's verdicts against real servers nobody here wrote: nginx (with
 * and without HTTP/2), OpenSSL's s_server and Python's http.server in ssl, each configured the way a user might, some correctly and
 * some not. The harness only gets what a user gives it (a URL and PEM files),
 * so a wrong verdict here is a wrong verdict a user would have seen.
 *
 * The expected failing sets are what these servers do (nginx 1.22.1, OpenSSL
 * 3.0 on Debian 12), each explained where it is pinned. They are exact: an
 * extra FAIL is as wrong as a missing one.
 */

/** One probe's ceiling: a refusal on loopback takes milliseconds, so this only matters when something hangs (or eight runs start at once on a busy 2-core box). */
const probeTimeoutMs = '5000';
/** The whole CLI run (~1.5 s each, all started at once); generous so a loaded CI box is not a failure. */
const cliTimeoutMs = 30_000;

type ServerName =
  | 'nginx on' | 'nginx optional' | 'nginx optional_no_ca' | 'nginx on tls12' | 'nginx on http1' | 'nginx optional http1'
  | 's_server' | 's_server lax' | 's_server tls12' | 's_server tls12 modern' | 's_server expect' | 'python required' | 'python optional';

const nginxConfigs: Record<Extract<ServerName, `nginx${string}`>, Pick<NginxOptions, 'verifyClient' | 'protocols' | 'http2'>> = {
  'nginx on': { verifyClient: 'on', protocols: 'TLSv1.3' },
  'nginx optional': { verifyClient: 'optional', protocols: 'TLSv1.3' },
  'nginx optional_no_ca': { verifyClient: 'optional_no_ca', protocols: 'TLSv1.3' },
  'nginx on tls12': { verifyClient: 'on', protocols: 'TLSv1.2 TLSv1.3' },
  // Without http2 nginx answers ALPN with http/1.1: the HTTP/1.1 twins of the first two.
  'nginx on http1': { verifyClient: 'on', protocols: 'TLSv1.3', http2: false },
  'nginx optional http1': { verifyClient: 'optional', protocols: 'TLSv1.3', http2: false },
};

/** http.server in ssl, TLS 1.3, no ALPN: HTTP/1.1 because it chooses none. */
const pythonConfigs: Record<Extract<ServerName, `python${string}`>, Pick<PythonHttpsOptions, 'verify'>> = {
  'python required': { verify: 'required' },
  'python optional': { verify: 'optional' },
};

/** All in -rev mode: a line sent gets a reversed line back, which is what --send needs to see acceptance. */
const sServerConfigs: Record<Extract<ServerName, `s_server${string}`>, Pick<SServerOptions, 'verifyReturnError' | 'tls13Only' | 'mode' | 'cipher'>> = {
  's_server': { verifyReturnError: true, tls13Only: true, mode: 'rev' },
  's_server lax': { verifyReturnError: false, tls13Only: true, mode: 'rev' },
  's_server tls12': { verifyReturnError: true, tls13Only: false, mode: 'rev' },
  // TLS 1.2 as Mozilla's "intermediate" allows it: ECDHE with AEAD suites only.
  's_server tls12 modern': { verifyReturnError: true, tls13Only: false, mode: 'rev', cipher: 'ECDHE+AESGCM:ECDHE+CHACHA20' },
  // The first one again, for the --expect run (s_server serves one connection at a time).
  's_server expect': { verifyReturnError: true, tls13Only: true, mode: 'rev' },
};

/** What a run must show: the verdicts, and what its output or results.json must say besides. */
interface Expected extends ExpectedVerdicts {
  /** Something the output must say, e.g. which HTTP version was spoken. */
  says?: RegExp;
  /** Something results.json must hold, e.g. what acceptance rested on. */
  recorded?: RegExp;
}

interface RunCase {
  name: string;
  server: ServerName;
  /** Appended to the target URL (nginx serves /hello). */
  path?: string;
  args?: string[];
  expected: Expected;
}

/**
/** Over HTTP/1.1, HTTP/2's ALPN rule has nothing to judge: skipped with the reason. */
const skippedOverHttp1 = [...skippedByDefault, 'tls/alpn/h2'];
/** The evidence names HTTP/1.1 and how it was chosen. */
const spokeHttp1 = (alpn: 'ALPN http/1.1' | 'no ALPN'): RegExp => new RegExp(`tls/alpn/h2 over http2 .*\\n\\s+the server chose HTTP/1\\.1 \\(${alpn}\\)`);

/**
 * What a user types in a shell: `--send "hello\n"` reaches the CLI as a
 * backslash and an n, which the CLI turns into a newline; s_server -rev
 * answers only whole lines.
 */
const sendLine = ['--send', 'hello\\n'];

const runCases: readonly RunCase[] = [
  {
    // The correct configuration passes every MUST case that applies to it.
    // (It does accept a client certificate with CA:TRUE: a SHOULD warning.)
    name: 'nginx ssl_verify_client on, TLSv1.3: every judged case passes',
    server: 'nginx on',
    path: 'hello',
    expected: { code: 0, failing: [], skipped: skippedByDefault },
  },
  {
    // nginx does no SPIFFE authorization at all: any certificate from the CA
    // gets /hello, whatever URI SAN it names, however many. A true finding,
    // once the user says which ID should be the only one allowed.
    name: 'nginx ssl_verify_client on with --spiffe-id: every SPIFFE case fails',
    server: 'nginx on',
    path: 'hello',
    args: ['--spiffe-id', 'spiffe://example.org/client'],
    expected: { code: 1, failing: spiffeCases, skipped: undeclared },
  },
  {
    // optional: a certificate, if sent, must verify; none at all is fine.
    name: 'nginx ssl_verify_client optional: a client without a certificate gets in',
    server: 'nginx optional',
    path: 'hello',
    expected: { code: 1, failing: ['tls/no-client-cert'], skipped: skippedByDefault },
  },
  {
    // optional_no_ca forgives a missing certificate and the verify errors
    // that mean "no trusted chain" (unknown issuer, self-signed): a stranger
    // CA's, an impostor CA's, a self-signed one and one whose intermediate is
    // missing get in. Other verify errors are not forgiven (expired,
    // unsuitable purpose, bad signature: still HTTP 400).
    name: 'nginx ssl_verify_client optional_no_ca: unverifiable and missing certificates get in',
    server: 'nginx optional_no_ca',
    path: 'hello',
    expected: {
      code: 1,
      failing: ['tls/no-client-cert', 'x509/chain/impostor-ca', 'x509/chain/intermediate-missing', 'x509/chain/self-signed', 'x509/chain/untrusted-ca'],
      skipped: skippedByDefault,
    },
  },
  {
    name: 'nginx ssl_protocols TLSv1.2 TLSv1.3: a TLS 1.2 client gets in',
    server: 'nginx on tls12',
    path: 'hello',
    // nginx's default ssl_ciphers (HIGH:!aNULL:!MD5) has CBC suites too.
    expected: { code: 1, failing: ['tls/version/tls12', 'tls/version/tls12-cbc-suites'], skipped: skippedByDefault },
  },
  {
    // The HTTP/1.1 twins: the same verdicts as over HTTP/2, read off the
    // HTTP/1.1 status line (nginx's 400 for a missing or bad certificate).
    name: 'nginx ssl_verify_client on without http2: judged over HTTP/1.1, every judged case passes',
    server: 'nginx on http1',
    path: 'hello',
    expected: { code: 0, failing: [], skipped: skippedOverHttp1, says: spokeHttp1('ALPN http/1.1') },
  },
  {
    name: 'nginx ssl_verify_client optional without http2: over HTTP/1.1, a client without a certificate gets in',
    server: 'nginx optional http1',
    path: 'hello',
    expected: { code: 1, failing: ['tls/no-client-cert'], skipped: skippedOverHttp1, says: /tls\/no-client-cert over http2 .*\n.*HTTP 200: the request reached the application \(over HTTP\/1\.1, ALPN http\/1\.1\)/ },
  },
  {
    // CERT_REQUIRED: OpenSSL verifies the chain and refuses with its alert after the client's Finished.
    name: 'python http.server in ssl, CERT_REQUIRED: judged over HTTP/1.1, every judged case passes',
    server: 'python required',
    expected: { code: 0, failing: [], skipped: skippedOverHttp1, says: spokeHttp1('no ALPN') },
  },
  {
    // CERT_OPTIONAL: a certificate, if sent, must verify; none at all is fine.
    name: 'python http.server in ssl, CERT_OPTIONAL: a client without a certificate gets in',
    server: 'python optional',
    expected: { code: 1, failing: ['tls/no-client-cert'], skipped: skippedOverHttp1, says: spokeHttp1('no ALPN') },
  },
  {
    // s_server refuses each bad client with a TLS 1.3 alert after the
    // client's handshake: certificate_required for none, unknown_ca for a
    // stranger or self-signed, unsupported_certificate for a wrong EKU,
    // certificate_expired for expired; protocol_version for old versions.
    name: 's_server -Verify 1 -verify_return_error -tls1_3 -rev: every judged case passes',
    server: 's_server',
    args: sendLine,
    expected: { code: 0, failing: [], skipped: skippedByDefault },
  },
  {
    // Without -verify_return_error s_server logs each verify error and
    // carries on, so every certificate that fails verification is served.
    // A missing certificate is still refused: -Verify makes one mandatory.
    name: 's_server without -verify_return_error: every unverifiable certificate is served',
    server: 's_server lax',
    args: sendLine,
    expected: { code: 1, failing: verificationCases, skipped: skippedByDefault },
  },
  {
    // --expect: only the reversed line proves acceptance, and the verdicts are the same.
    name: 's_server -rev with --expect "^olleh": every judged case passes',
    server: 's_server expect',
    args: [...sendLine, '--expect', '^olleh'],
    expected: { code: 0, failing: [], skipped: skippedByDefault, recorded: /"acceptedOn":\s*"expected-reply"/ },
  },
  {
    name: 's_server allowing TLS 1.2: a TLS 1.2 client gets in',
    server: 's_server tls12',
    args: sendLine,
    // OpenSSL's default list has CBC suites too, so a TLS 1.2 client offering only those gets in as well.
    expected: { code: 1, failing: ['tls/version/tls12', 'tls/version/tls12-cbc-suites'], skipped: skippedByDefault },
  },
  {
    // The same server with only ECDHE and AEAD suites meets --profile tls12-modern: TLS 1.2 is recorded (INFO), and a
    // client offering only CBC suites is refused. Under the default profile the one finding is TLS 1.2 itself.
    name: 's_server allowing TLS 1.2 with modern suites only: passes --profile tls12-modern',
    server: 's_server tls12 modern',
    args: [...sendLine, '--profile', 'tls12-modern'],
    expected: { code: 0, failing: [], skipped: skippedByDefault, informational: 6 },
  },
];

/** The base64 between a PEM's armour lines, on one line. */
function pemBody(pem: string): string {
  return pem
    .split(/\r?\n/)
    .filter((line) => !line.startsWith('-----'))
    .join('')
    .trim();
}

/** Every file under `dir`, recursively: reports may grow subdirectories. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => path.join(dir, name))
    .filter((file) => statSync(file).isFile());
}

/**
 * What a report file says, including any attachment cucumber stored as
 * base64 (today all are IDENTITY, but a key hidden in base64 would still be a
 * leak), so the key check below cannot be dodged by an encoding change.
 */
function readableText(file: string): string {
  const text = readFileSync(file, 'utf8');
  if (!file.endsWith('.ndjson')) return text;
  const decoded: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"BASE64"')) continue;
    const message: unknown = JSON.parse(line);
    const attachment = (message as { attachment?: { body?: unknown; contentEncoding?: unknown } }).attachment;
    if (attachment?.contentEncoding === 'BASE64' && typeof attachment.body === 'string') {
      decoded.push(Buffer.from(attachment.body, 'base64').toString('utf8'));
    }
  }
  return [text, ...decoded].join('\n');
}

let files: PrivateDir;
let caKeyPem: string;
let args: { ca: string; caKey: string };
const reportRoot = mkdtempSync(path.join(tmpdir(), 'mtlspec-external-'));
const urls = new Map<ServerName, string>();
const closers: Array<() => Promise<void>> = [];
/** The running servers, kept for their own logs when a run surprises. */
const sServers = new Map<ServerName, RunningSServer>();
const nginxes = new Map<ServerName, RunningNginx>();
const pythons = new Map<ServerName, RunningPythonHttps>();

before(async () => {
  const pki = await createRunPki({ clientSpiffeId: 'spiffe://example.org/client', trustedCa: 'generate', serverHosts: loopbackHosts });
  assert.ok(pki.trustedCa && pki.server, 'the run PKI made no trusted CA or server leaf');
  caKeyPem = pki.trustedCa.key.privateKeyPem;
  // The one CA signs the servers' certificate and the clients they accept,
  // so ca.pem serves as both --ca-cert and --server-ca, as in a small setup.
  files = new PrivateDir('mtlspec-external-ca-');
  args = { ca: files.write('ca.pem', pki.trustedCa.certPem), caKey: files.write('ca.key', caKeyPem) };
  const pems = { clientCaPem: pki.trustedCa.certPem, certPem: pki.server.certPem, keyPem: pki.server.keyPem };
  // All at once: startNginx installs nginx (synchronously) on its first call
  // if it is missing, so the later calls find it there.
  await Promise.all([
    ...Object.entries(nginxConfigs).map(async ([name, config]) => {
      const server = await startNginx({ ...config, ...pems });
      closers.push(() => server.close());
      nginxes.set(name as ServerName, server);
      urls.set(name as ServerName, server.url);
    }),
    ...Object.entries(sServerConfigs).map(async ([name, config]) => {
      const server = await startSServer({ ...config, ...pems });
      closers.push(() => server.close());
      sServers.set(name as ServerName, server);
      urls.set(name as ServerName, server.url);
    }),
    ...Object.entries(pythonConfigs).map(async ([name, config]) => {
      const server = await startPythonHttps({ ...config, ...pems });
      closers.push(() => server.close());
      pythons.set(name as ServerName, server);
      urls.set(name as ServerName, server.url);
    }),
  ]);
});

after(async () => {
  await Promise.all(closers.map((close) => close()));
  files?.remove();
  rmSync(reportRoot, { recursive: true, force: true });
});

/** What to print when a run surprises: the CLI's words and the server's own account. */
function explain(run: CliRun, server: ServerName): string {
  const nginx = nginxes.get(server);
  const sServer = sServers.get(server);
  const python = pythons.get(server);
  const serverSide = nginx
    ? `nginx error log:\n${nginx.errorLogTail(40)}`
    : sServer
      ? `s_server output:\n${sServer.output().slice(-3000)}`
      : python
        ? `python output:\n${python.output().slice(-3000)}`
        : '';
  return `--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}\n--- ${serverSide}`;
}

// Concurrent: each run is its own process (~1.5 s alone, mostly Node and
// cucumber starting up), so together they take ~7-11 s on two cores instead
// of ~15 s in a row. No two runs share an s_server (it serves one connection
// at a time, and one run probes sequentially); the two runs against
// 'nginx on' may overlap, as nginx serves many connections at once.
// At most 6 at a time: twelve CLI processes at once on two cores would
// stretch each run toward its own timeout.
describe('mtlspec run --target against servers we did not write', { concurrency: 6 }, () => {
  for (const { name, server, path: urlPath, args: extraArgs = [], expected } of runCases) {
    test(name, async (t) => {
      const url = urls.get(server);
      assert.ok(url, `${server} did not start`);
      const reportDir = path.join(reportRoot, name.replace(/[^a-z0-9]+/gi, '-'));
      const run = await runCli(
        [
          'run',
          '--target', `${url}${urlPath ?? ''}`,
          '--ca-cert', args.ca,
          '--ca-key', args.caKey,
          '--server-ca', args.ca,
          '--report-dir', reportDir,
          '--timeout', probeTimeoutMs,
          ...extraArgs,
        ],
        cliTimeoutMs,
      );
      // The verdict lines, so a passing run still shows what it saw and how long each probe took.
      for (const line of verdictLines(run.stdout)) t.diagnostic(line);
      assertVerdicts(run, url, expected, explain(run, server));
      if (expected.says) assert.match(run.stdout, expected.says, explain(run, server));
      if (expected.recorded) assert.match(readFileSync(path.join(reportDir, 'results.json'), 'utf8'), expected.recorded, explain(run, server));

      // A user's CA key never appears in any report: not as PEM, and not as
      // bare base64 either. The slice comes from the middle of the key's body
      // because a PKCS#8 P-256 key starts with the same ~48 characters as
      // every other one; and the reports are compared with line breaks
      // removed, so a re-wrapped copy would still show.
      const keyBody = pemBody(caKeyPem);
      const middle = Math.floor((keyBody.length - 40) / 2);
      const keySlice = keyBody.slice(middle, middle + 40);
      assert.ok(middle >= 60 && keySlice.length === 40, `the CA key's body (${keyBody.length} chars) is long enough for a slice past its common prefix`);
      const reports = filesUnder(reportDir);
      assert.deepEqual(
        ['conformance.html', 'junit.xml', 'messages.ndjson'].filter((f) => !reports.includes(path.join(reportDir, f))),
        [],
        'all three reports written, so the key check below is not vacuous',
      );
      for (const file of reports) {
        const text = readableText(file);
        const unwrapped = text.replace(/\\r|\\n|\s/g, '');
        assert.doesNotMatch(text, /PRIVATE KEY/, `${file} holds a private key`);
        assert.ok(!unwrapped.includes(keySlice), `${file} holds the body of the CA key`);
      }
    });
  }
});
