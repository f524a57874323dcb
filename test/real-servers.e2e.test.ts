import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRunPki, loopbackHosts, PrivateDir } from '../src/pki/index.js';
import { runCli, type CliRun } from './support/cli.js';
import { startGrpcGo, type GrpcGoOptions } from './support/grpc-go.js';
import { startGrpcio, type GrpcioOptions } from './support/grpcio.js';
import { startHaproxy, type HaproxyOptions } from './support/haproxy.js';
import { assertVerdicts, skippedByDefault, verdictLines, verificationCases, type ExpectedVerdicts } from './support/verdicts.js';

/**
 * Whether correct real servers pass, and misconfigured ones are caught:
 * external-targets covers nginx and openssl s_server, this file the other
 * servers users put behind mTLS: HAProxy terminating mTLS in `mode http`, Python
 * grpcio and grpc-go, each in its correct configuration and with one typical
 * misconfiguration, against the full catalogue of the target's protocol.
 *
 * The expected sets are what these servers do (Debian 12: HAProxy 2.6 with
 * OpenSSL 3.0, python3-grpcio 1.51, which Debian links to the system's
 * OpenSSL 3.0 rather than the BoringSSL of PyPI's wheels, Go 1.19 with
 * grpc-go 1.33), each explained where it is pinned. "Correct" is the
 * configuration's intent; where even that fails a case, the server really
 * lets that client in, and the FAIL is a true finding. They are exact: an
 * extra FAIL, SKIP, INCONCLUSIVE or WARN is as wrong as a missing one.
 */

/**
 * One probe's ceiling, the CLI's default: refusals take milliseconds, but
 * once, with seven runs starting at once on two cores (and another
 * checkout's tests beside them), a fresh grpc-go's first answer took more
 * than 3 s and the run stopped at its first probe.
 */
const probeTimeoutMs = '5000';
/** The whole CLI run (3-6 s alone, all seven at once on two cores); generous so a loaded CI box is not a failure. */
const cliTimeoutMs = 60_000;

type ServerName =
  | 'haproxy'
  | 'haproxy verify optional'
  | 'haproxy default ssl-min-ver'
  | 'grpcio'
  | 'grpcio require_client_auth=False'
  | 'grpc-go'
  | 'grpc-go RequireAnyClientCert';

type Config =
  | { kind: 'haproxy'; options: Pick<HaproxyOptions, 'verify' | 'minVersion'> }
  | { kind: 'grpcio'; options: Pick<GrpcioOptions, 'clientAuth'> }
  | { kind: 'grpc-go'; options: Pick<GrpcGoOptions, 'clientAuth'> };

const configs: Record<ServerName, Config> = {
  haproxy: { kind: 'haproxy', options: { verify: 'required', minVersion: 'TLSv1.3' } },
  'haproxy verify optional': { kind: 'haproxy', options: { verify: 'optional', minVersion: 'TLSv1.3' } },
  'haproxy default ssl-min-ver': { kind: 'haproxy', options: { verify: 'required' } },
  grpcio: { kind: 'grpcio', options: { clientAuth: 'require' } },
  'grpcio require_client_auth=False': { kind: 'grpcio', options: { clientAuth: 'optional' } },
  'grpc-go': { kind: 'grpc-go', options: { clientAuth: 'require-and-verify' } },
  'grpc-go RequireAnyClientCert': { kind: 'grpc-go', options: { clientAuth: 'require-any' } },
};

interface RunCase {
  name: string;
  server: ServerName;
  /** Appended to the target URL (HAProxy answers /hello). */
  path?: string;
  expected: ExpectedVerdicts;
}

/**
 * Every server here accepts a client certificate with CA:TRUE: RFC 5280
 * 4.2.1.9 says a CA certificate SHOULD NOT be used for TLS client
 * authentication, and no TLS stack enforces it. A SHOULD warning everywhere.
 */
const leafIsCa = 'x509/usage/leaf-is-ca';

/** Every case a server refuses only by verifying the client's chain: what a server that verifies nothing lets in. */
const chainCases = [...verificationCases, 'x509/chain/pathlen-exceeded'];

/**
 * grpcio refuses every bad certificate, and a missing one, by closing the
 * connection after the client's Finished without any alert (seen with
 * `openssl s_client -msg`: no record from the server, then EOF). gRPC core
 * drives OpenSSL through memory BIOs in its own handshaker, and on a failed
 * handshake it drops the alert OpenSSL wrote instead of sending it. Each refusal is therefore a pass with a SHOULD warning
 * for the missing alert: a true finding.
 */
const grpcioSilentRefusals = [...chainCases, 'tls/no-client-cert'];

/**
 * grpcio refuses TLS 1.1 and 1.0 by closing the connection (a TCP reset, as
 * the CLI sees it) right after the ClientHello, without an alert. A version
 * case is judged from the ClientHello, so that close is its refusal: a bare
 * one, probed twice and bracketed by controls, then passed with a SHOULD
 * warning for the missing protocol_version alert.
 */
const refusedAtHelloWithoutAlert = ['tls/version/tls10', 'tls/version/tls11'];

const runCases: readonly RunCase[] = [
  {
    // Bad and missing certificates get the alert OpenSSL names
    // (certificate_required, unknown_ca, certificate_expired,
    // unsupported_certificate, decrypt_error) after the client's handshake;
    // old versions get protocol_version at the ClientHello.
    name: 'HAProxy verify required, ssl-min-ver TLSv1.3: every judged case passes',
    server: 'haproxy',
    path: 'hello',
    expected: { code: 0, failing: [], skipped: skippedByDefault, warned: [leafIsCa] },
  },
  {
    // verify optional: a certificate that is sent must still verify (the
    // same alerts as above), but a client that sends none is served /hello.
    name: 'HAProxy verify optional: a client without a certificate gets in',
    server: 'haproxy verify optional',
    path: 'hello',
    expected: { code: 1, failing: ['tls/no-client-cert'], skipped: skippedByDefault, warned: [leafIsCa] },
  },
  {
    // HAProxy 2.6's default minimum is TLSv1.2 (1.1 and 1.0 still get
    // protocol_version, from OpenSSL 3.0's own floor and HAProxy's).
    name: 'HAProxy without ssl-min-ver: a TLS 1.2 client gets in',
    server: 'haproxy default ssl-min-ver',
    path: 'hello',
    // Its default TLS 1.2 suites include CBC ones, so a client offering only those gets in too.
    expected: { code: 1, failing: ['tls/version/tls12', 'tls/version/tls12-cbc-suites'], skipped: skippedByDefault, warned: [leafIsCa] },
  },
  {
    // ssl_server_credentials has no minimum-version setting, and gRPC core's
    // default minimum is TLS 1.2: even the correct configuration lets a TLS
    // 1.2 client in. A true finding about grpcio, not a test setup slip.
    name: 'grpcio require_client_auth=True: refuses every bad certificate, but allows TLS 1.2',
    server: 'grpcio',
    expected: {
      code: 1,
      failing: ['tls/version/tls12'],
      skipped: skippedByDefault,
      // Its TLS 1.2 suites are ECDHE with AES-GCM only: a client offering only CBC suites is refused, without an alert.
      warned: [...grpcioSilentRefusals, ...refusedAtHelloWithoutAlert, 'tls/version/tls12-cbc-suites', leafIsCa],
    },
  },
  {
    // require_client_auth=False makes gRPC core send no CertificateRequest
    // at all (the evidence says "certificate: not-requested"), so no client
    // certificate is ever seen, let alone verified: every client gets in,
    // whatever it holds. Each FAIL is right: a client that has only a
    // stranger's certificate, or none, reaches the service.
    name: 'grpcio require_client_auth=False: every client gets in',
    server: 'grpcio require_client_auth=False',
    expected: {
      code: 1,
      failing: [...grpcioSilentRefusals, 'tls/version/tls12'],
      skipped: skippedByDefault,
      warned: [...refusedAtHelloWithoutAlert, 'tls/version/tls12-cbc-suites', leafIsCa],
    },
  },
  {
    // crypto/x509 (Go 1.19) has no minimum RSA key size, so a 1024-bit
    // client key is accepted, and Go checks only ExtKeyUsage on a leaf,
    // never KeyUsage (crypto/x509 documents that Verify ignores it): a
    // clientAuth certificate without digitalSignature gets in. Both are true
    // findings against RequireAndVerifyClientCert. It refuses SHA-1 and MD5
    // signatures and unknown critical extensions itself. No certificate at
    // all gets alert bad_certificate (Go before 1.21 does not send TLS 1.3's
    // certificate_required): a SHOULD warning.
    name: 'grpc-go RequireAndVerifyClientCert, MinVersion TLS 1.3: accepts RSA-1024 and ignores keyUsage',
    server: 'grpc-go',
    expected: {
      code: 1,
      failing: ['x509/crypto/rsa-1024', 'x509/usage/ku-without-digital-signature'],
      skipped: skippedByDefault,
      warned: ['tls/no-client-cert', leafIsCa],
    },
  },
  {
    // RequireAnyClientCert: a certificate must be sent (none still gets
    // bad_certificate), but nothing about it is checked: every certificate
    // that fails verification is served.
    name: 'grpc-go RequireAnyClientCert: every unverifiable certificate is served',
    server: 'grpc-go RequireAnyClientCert',
    expected: { code: 1, failing: chainCases, skipped: skippedByDefault, warned: ['tls/no-client-cert', leafIsCa] },
  },
];

interface RunningServer {
  url: string;
  output(): string;
  close(): Promise<void>;
}

let files: PrivateDir;
let args: { ca: string; caKey: string };
const reportRoot = mkdtempSync(path.join(tmpdir(), 'mtlspec-real-servers-'));
const servers = new Map<ServerName, RunningServer>();

before(async () => {
  const pki = await createRunPki({ clientSpiffeId: 'spiffe://example.org/client', trustedCa: 'generate', serverHosts: loopbackHosts });
  assert.ok(pki.trustedCa && pki.server, 'the run PKI made no trusted CA or server leaf');
  // One CA signs the servers' certificate and the clients they accept, so
  // ca.pem serves as both --ca-cert and --server-ca.
  files = new PrivateDir('mtlspec-real-servers-ca-');
  args = { ca: files.write('ca.pem', pki.trustedCa.certPem), caKey: files.write('ca.key', pki.trustedCa.key.privateKeyPem) };
  const pems = { clientCaPem: pki.trustedCa.certPem, certPem: pki.server.certPem, keyPem: pki.server.keyPem };
  // All at once: a missing package is installed (synchronously) by the
  // first server that needs it; both grpc-go servers await one build.
  // allSettled, so a server that did start is still closed when another fails.
  const started = await Promise.allSettled(
    Object.entries(configs).map(async ([name, config]) => {
      const server = await start(config, pems);
      servers.set(name as ServerName, server);
    }),
  );
  const failures = started.flatMap((s) => (s.status === 'rejected' ? [String(s.reason instanceof Error ? s.reason.message : s.reason)] : []));
  assert.deepEqual(failures, [], 'every real server starts (a package that cannot be installed fails here, never skips)');
});

after(async () => {
  await Promise.all([...servers.values()].map((server) => server.close()));
  files?.remove();
  rmSync(reportRoot, { recursive: true, force: true });
});

function start(config: Config, pems: { clientCaPem: string; certPem: string; keyPem: string }): Promise<RunningServer> {
  switch (config.kind) {
    case 'haproxy':
      return startHaproxy({ ...config.options, ...pems });
    case 'grpcio':
      return startGrpcio({ ...config.options, ...pems });
    case 'grpc-go':
      return startGrpcGo({ ...config.options, ...pems });
  }
}

/** What to print when a run surprises: the CLI's words and the server's own account. */
function explain(run: CliRun, server: RunningServer | undefined): string {
  return `--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}\n--- server output ---\n${server?.output().slice(-3000) ?? ''}`;
}

// Concurrent: each run is its own process, one per server, so no server is
// probed by two runs at once; together ~15-25 s on two cores.
describe('mtlspec run --target against HAProxy, grpcio and grpc-go', { concurrency: true }, () => {
  for (const { name, server: serverName, path: urlPath, expected } of runCases) {
    test(name, async (t) => {
      const server = servers.get(serverName);
      assert.ok(server, `${serverName} did not start`);
      const url = `${server.url}${urlPath ?? ''}`;
      const run = await runCli(
        [
          'run',
          '--target', url,
          '--ca-cert', args.ca,
          '--ca-key', args.caKey,
          '--server-ca', args.ca,
          '--report-dir', path.join(reportRoot, name.replace(/[^a-z0-9]+/gi, '-')),
          '--timeout', probeTimeoutMs,
        ],
        cliTimeoutMs,
      );
      for (const line of verdictLines(run.stdout)) t.diagnostic(line);
      assertVerdicts(run, url, expected, explain(run, server));
    });
  }
});
