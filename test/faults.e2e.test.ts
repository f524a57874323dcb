import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRunPki, loopbackHosts, PrivateDir, type RunPki } from '../src/pki/index.js';
import type { ScenarioResult } from '../src/report/results.js';
import { runCli, startCli, type CliRun, type LongRunningCli } from './support/cli.js';
import { crashExitCode, startCrashingServer } from './support/crashing-server.js';
import { startFaultProxy, type FaultPlan } from './support/fault-proxy.js';
import { startHostileHttp2, type Http2Misbehaviour } from './support/hostile-http2.js';
import { readRunResults } from './support/records.js';
import { startSServer } from './support/s-server.js';
import { referenceTokenAudience, referenceTokenIssuer } from '../src/run/settings.js';

/**
 * A target that misbehaves during a run must never turn a flawed server's
 * run green. Each test points the real CLI at a server with a known flaw,
 * with a fault in the way (a proxy that closes, resets, sheds or hangs;
 * HTTP/2 GOAWAY, REFUSED_STREAM, 400/429/503; a body that trickles; a
 * crash; a credential the client cannot send), and checks that no case of
 * the flaw passed, that the exit code is not 0, and that the report names
 * the fault. The baselines check that each flawed server, without a fault,
 * fails its run: so a fault test that passes means the harness handled
 * the fault, not that the server was fine.
 */

/**
 * How the report must name each fault: the `why` or `observed` of every
 * inconclusive scenario (and of the failed ones, when the fault is expected
 * to leave the flaw visible) must match. One table, so the wording can be
 * adjusted in one place.
 */
const faultSigns = {
  /** The connection ended before the client's certificate went out: nothing was judged. */
  'closed-before-certificate': /before the client (sent|finished)|certificate was not sent|never sent/,
  /** The target went away (stopped listening) right after a credential; later probes find nothing there. */
  'stopped-accepting': /stopped accepting|unreachable after|nothing listens/,
  /** The target accepted TCP and then said nothing. */
  'no-answer': /timed? ?out|no answer|within \d+ ms/,
  goaway: /GOAWAY/,
  'refused-stream': /REFUSED_STREAM|refused the stream/,
  'shed-400': /\b400\b/,
  'shed-429': /\b429\b/,
  'shed-503': /\b503\b/,
  /** The status line arrived, so the request was accepted however slowly the body came. */
  'status-proves-acceptance': /\b200\b/,
  /** A connection cut or a 400 on some connections only: a refusal without a signal that did not repeat. */
  intermittent: /without a signal|second connection|stopped accepting/,
  /** The server's CertificateRequest allowed no algorithm the client's key can sign with: an empty Certificate went out. */
  'credential-not-sent': /certificate was not sent|never sent|could not (send|present)|would not present|empty Certificate|signature algorithm/,
} as const satisfies Record<string, RegExp>;
type FaultSign = keyof typeof faultSigns;

/**
 * What the flaw's cases must end as:
 * - inconclusive: the fault hid every one of them, so nothing can be said;
 * - failed: the fault left the proof of acceptance intact (a slow body after a 200);
 * - not-passed: an intermittent fault; each is inconclusive or failed, depending on what got through.
 */
type FlawCaseExpectation = 'inconclusive' | 'failed' | 'not-passed';

/** Generous for probes of 2 s on a loaded 2-core machine: every run is bounded anyway. */
const probeTimeoutMs = 2000;
const cliTimeoutMs = 60_000;
const spiffeId = 'spiffe://example.org/client';

/** What a run is pointed at, and how to tell the fault really happened (undefined: it did). */
interface Endpoint {
  readonly url: string;
  close(): Promise<void>;
  faultMissing?(): string | undefined;
}

/** A flawed server and the small case selection that shows its flaw. */
interface Family {
  readonly name: string;
  /** --ca-cert/--ca-key/--server-ca (and --spiffe-id, --send) for this server. */
  credentialArgs(): Promise<string[]>;
  /** --case selection (and --send): the must-accept cases come first, in the order the run probes them. */
  readonly selection: readonly string[];
  /** The cases the flaw makes the server accept: what a faulted run must never report as passed. */
  readonly flawCases: readonly string[];
  /**
   * Connections a run makes before the first flaw case is probed: the
   * preflight's control, then one per scenario, one at a time. A proxy fault
   * that starts after them leaves the preflight and the must-accept cases
   * alone. (A harness that probes more, controls around each refusal or
   * retries, only moves the fault earlier: onto controls and must-accept
   * cases, which it must then call inconclusive, never failed.)
   */
  readonly connectionsBeforeFlaw: number;
  /** The same flawed server, without a fault. */
  baseline(): Promise<Endpoint>;
  /** How the baseline differs from the servers the fault tests start, when it does. */
  readonly baselineNote?: string;
}

interface FaultCombination {
  readonly name: string;
  readonly family: Family;
  readonly target: () => Promise<Endpoint>;
  readonly sign: FaultSign;
  readonly expect: FlawCaseExpectation;
  /** The fault lasts until the run ends, so at least one scenario must name it; an intermittent one may be retried past. */
  readonly persistent: boolean;
  /** A finding the run must print (not a verdict): e.g. the target crashing right after one credential. */
  readonly finding?: RegExp;
}

const root = mkdtempSync(path.join(tmpdir(), 'mtlspec-faults-'));
const endpoints: Endpoint[] = [];
const serves: LongRunningCli[] = [];
let pki: RunPki;
let files: PrivateDir;
let caArgs: string[];

/** Everything started is closed here, whatever a test did. */
after(async () => {
  await Promise.allSettled(endpoints.map((e) => e.close()));
  await Promise.allSettled(serves.map((s) => s.stop()));
  files?.remove();
  rmSync(root, { recursive: true, force: true });
});

async function opened(endpoint: Promise<Endpoint>): Promise<Endpoint> {
  const e = await endpoint;
  endpoints.push(e);
  return e;
}

/** The test's own PKI: a CA for the clients (the accept-any servers do not care which) and a server leaf for 127.0.0.1. */
before(async () => {
  pki = await createRunPki({ clientSpiffeId: spiffeId, trustedCa: 'generate', serverHosts: loopbackHosts });
  assert.ok(pki.trustedCa);
  files = new PrivateDir('mtlspec-faults-pki-');
  const ca = files.write('ca.pem', pki.trustedCa.certPem);
  caArgs = ['--ca-cert', ca, '--ca-key', files.write('ca.key', pki.trustedCa.key.privateKeyPem), '--server-ca', ca];
});

function serverLeaf(): { certPem: string; keyPem: string } {
  assert.ok(pki.server, 'the test PKI has a server leaf');
  return { certPem: pki.server.certPem, keyPem: pki.server.keyPem };
}

/** `mtlspec serve http2 --flaw FLAW` (plus `serveArgs`), started once per flaw and shared (each run gets its own proxy). */
const servedFlaws = new Map<string, Promise<{ url: string; pkiDir: string }>>();
function serveFlawed(flaw: string, serveArgs: readonly string[]): Promise<{ url: string; pkiDir: string }> {
  let served = servedFlaws.get(flaw);
  if (!served) {
    served = (async () => {
      const pkiDir = mkdtempSync(path.join(root, `serve-${flaw}-`));
      const serve = startCli(['serve', 'http2', '--flaw', flaw, '--pki-dir', pkiDir, ...serveArgs]);
      serves.push(serve);
      const match = await serve.waitFor(/listening on (https:\/\/\S+)/, 20_000);
      return { url: match[1] ?? '', pkiDir };
    })();
    servedFlaws.set(flaw, served);
  }
  return served;
}

/** `runArgs`: more flags for the run, from the folder where serve keeps its PKI (and, with --auth jwt, its token issuer). */
function servedFamily(
  flaw: string,
  fields: Omit<Family, 'name' | 'credentialArgs' | 'baseline'>,
  runArgs: (pkiDir: string) => string[] = () => [],
  serveArgs: readonly string[] = [],
): Family {
  return {
    name: `mtlspec serve http2 --flaw ${flaw}${serveArgs.length > 0 ? ` ${serveArgs.join(' ')}` : ''}`,
    ...fields,
    credentialArgs: async () => {
      const { pkiDir } = await serveFlawed(flaw, serveArgs);
      const ca = path.join(pkiDir, 'ca.pem');
      return ['--ca-cert', ca, '--ca-key', path.join(pkiDir, 'ca.key'), '--server-ca', ca, ...runArgs(pkiDir)];
    },
    // Shared by every run of this flaw; stopped in the file's after().
    baseline: async () => ({ url: (await serveFlawed(flaw, serveArgs)).url, close: async () => undefined }),
  };
}

const families = {
  ignoreExpiry: servedFamily('ignore-expiry', {
    // Probed: preflight, x509/valid, x509/validity/expires-soon, then the two flaw cases.
    selection: ['--case', 'x509/valid', '--case', 'x509/validity'],
    flawCases: ['x509/validity/expired', 'x509/validity/not-yet-valid'],
    connectionsBeforeFlaw: 3,
  }),
  acceptAnyCert: servedFamily('accept-any-cert', {
    // Probed: preflight, x509/chain/intermediate-sent, then the two flaw cases.
    selection: ['--case', 'x509/chain/intermediate-sent', '--case', 'x509/chain/untrusted-ca', '--case', 'x509/chain/self-signed'],
    flawCases: ['x509/chain/untrusted-ca', 'x509/chain/self-signed'],
    connectionsBeforeFlaw: 2,
  }),
  noSpiffeAuthorization: servedFamily(
    'no-spiffe-authorization',
    {
      // Probed: preflight, x509/valid, then the two flaw cases.
      selection: ['--case', 'x509/valid', '--case', 'spiffe/wrong-id', '--case', 'spiffe/wrong-trust-domain'],
      flawCases: ['spiffe/wrong-id', 'spiffe/wrong-trust-domain'],
      connectionsBeforeFlaw: 2,
    },
    () => ['--spiffe-id', spiffeId],
  ),
  // Bearer tokens: the verifier skips the RFC 8705 binding, so tokens bound elsewhere, or to nothing, get through.
  jwtIgnoreCnf: servedFamily(
    'jwt-ignore-cnf',
    {
      // Probed: preflight (certificate and token), the token target's first control, jwt/valid, then the two flaw cases.
      selection: ['--case', 'jwt/valid', '--case', 'jwt/cnf/bound-to-another-client', '--case', 'jwt/cnf/missing'],
      flawCases: ['jwt/cnf/bound-to-another-client', 'jwt/cnf/missing'],
      connectionsBeforeFlaw: 3,
    },
    (pkiDir) => ['--jwt-key', path.join(pkiDir, 'jwt-issuer.key'), '--jwt-iss', referenceTokenIssuer, '--jwt-aud', referenceTokenAudience, '--jwt-bound'],
    ['--auth', 'jwt'],
  ),
  hostileHttp2: {
    name: 'an accept-any HTTP/2 server (test/support/hostile-http2.ts)',
    credentialArgs: async () => caArgs,
    // Probed: preflight, x509/chain/untrusted-ca, x509/valid, x509/validity/expired (feature files in order).
    selection: ['--case', 'x509/valid', '--case', 'x509/chain/untrusted-ca', '--case', 'x509/validity/expired'],
    flawCases: ['x509/chain/untrusted-ca', 'x509/validity/expired'],
    connectionsBeforeFlaw: 1,
    baseline: () => hostileHttp2({ kind: 'none' }),
  },
  crashOnExpired: {
    name: 'an accept-any HTTP/2 server that crashes on an expired certificate',
    credentialArgs: async () => caArgs,
    // Probed: preflight, x509/valid, x509/validity/expires-soon, then expired (the crash) and not-yet-valid.
    selection: ['--case', 'x509/valid', '--case', 'x509/validity'],
    flawCases: ['x509/validity/expired', 'x509/validity/not-yet-valid'],
    connectionsBeforeFlaw: 3,
    // The same acceptance, without the crash.
    baseline: () => hostileHttp2({ kind: 'none' }),
  },
  // The flaw is the baseline's (no verification); the fault tests also run a verifying s_server, where
  // rsa-1024 must not pass either: its credential never reached the server, so nothing was refused.
  ecdsaOnlySServer: {
    name: 'openssl s_server -Verify 1 -tls1_3 -rev (tls://)',
    baselineNote: 'without -verify_return_error nor -client_sigalgs',
    credentialArgs: async () => [...caArgs, '--send', 'hello\\n'],
    selection: ['--case', 'x509/crypto/rsa-1024', '--case', 'x509/valid'],
    flawCases: ['x509/crypto/rsa-1024'],
    connectionsBeforeFlaw: 1,
    // Without the sigalg restriction the RSA-1024 credential is sent, and this s_server takes it.
    baseline: () => sServer({ verify: false }),
  },
} satisfies Record<string, Family>;

function hostileHttp2(misbehaviour: Http2Misbehaviour): Promise<Endpoint> {
  return opened(
    (async () => {
      const server = await startHostileHttp2({ ...serverLeaf(), misbehaviour });
      const after = 'after' in misbehaviour ? misbehaviour.after : 0;
      return {
        url: server.url,
        close: () => server.close(),
        faultMissing: () => {
          const { sessions } = server.counts();
          return misbehaviour.kind === 'none' || sessions > after ? undefined : `only ${sessions} connection(s) reached the server, none after the first ${after}`;
        },
      };
    })(),
  );
}

/** A proxy with this plan in front of the family's flawed server. */
function behindProxy(family: Family, plan: FaultPlan): () => Promise<Endpoint> {
  return () =>
    opened(
      (async () => {
        const upstream = await family.baseline();
        const url = new URL(upstream.url);
        const proxy = await startFaultProxy({ upstreamPort: Number(url.port), plan });
        url.port = String(proxy.port);
        return {
          url: url.toString(),
          close: () => proxy.close(),
          faultMissing: () => {
            const { accepted, faulted } = proxy.counts();
            const total = faulted.close + faulted.reset + faulted.hang;
            return total > 0 ? undefined : `the proxy faulted none of the ${accepted} connection(s) it accepted`;
          },
        };
      })(),
    );
}

function sServer(options: { verify: boolean; ecdsaOnly?: boolean }): Promise<Endpoint> {
  assert.ok(pki.trustedCa);
  const clientCaPem = pki.trustedCa.certPem;
  return opened(
    (async () => {
      const server = await startSServer({
        clientCaPem,
        ...serverLeaf(),
        verifyReturnError: options.verify,
        tls13Only: true,
        mode: 'rev',
        ...(options.ecdsaOnly ? { clientSigalgs: 'ECDSA+SHA256:ECDSA+SHA384' } : {}),
      });
      return {
        url: server.url,
        close: () => server.close(),
        // OpenSSL's own word that the client's Certificate came empty, so the test is about a credential never sent.
        ...(options.ecdsaOnly
          ? { faultMissing: () => (/peer did not return a certificate/.test(server.output()) ? undefined : `s_server never saw an empty Certificate:\n${server.output()}`) }
          : {}),
      };
    })(),
  );
}

/** The proxy faults, each placed right after the family's must-accept cases. */
function proxyFaults(family: Family): FaultCombination[] {
  const k = family.connectionsBeforeFlaw;
  const common = { family, sign: 'closed-before-certificate' as const };
  return [
    { ...common, name: `forward the first ${k}, then close`, target: behindProxy(family, { kind: 'forward-first', forward: k, then: 'close' }), expect: 'inconclusive', persistent: true },
    { ...common, name: `forward the first ${k}, then reset`, target: behindProxy(family, { kind: 'forward-first', forward: k, then: 'reset' }), expect: 'inconclusive', persistent: true },
    // Connection k+1 is the first flaw case's probe.
    { ...common, name: `reset connections ${k + 1}, ${2 * (k + 1)}, ${3 * (k + 1)}, ...`, target: behindProxy(family, { kind: 'every-nth', n: k + 1, action: 'reset' }), expect: 'not-passed', persistent: false },
    // One token per 10 s: the bucket is empty when the first flaw case is probed.
    { ...common, name: `a token bucket of ${k}, refilled at 0.1/s, closing when empty`, target: behindProxy(family, { kind: 'token-bucket', capacity: k, refillPerSecond: 0.1, action: 'close' }), expect: 'not-passed', persistent: false },
    { ...common, name: `forward the first ${k}, then hang`, target: behindProxy(family, { kind: 'forward-first', forward: k, then: 'hang' }), sign: 'no-answer', expect: 'inconclusive', persistent: true },
  ];
}

/** Misbehaviours of the HTTP/2 layer, each from the second connection on (the first is the preflight). */
const http2Misbehaviours: ReadonlyArray<{ name: string; misbehaviour: Http2Misbehaviour; sign: FaultSign }> = [
  { name: 'GOAWAY on every connection after the first', misbehaviour: { kind: 'goaway', after: 1 }, sign: 'goaway' },
  { name: 'REFUSED_STREAM after the first request', misbehaviour: { kind: 'refused-stream', after: 1 }, sign: 'refused-stream' },
  ...([400, 429, 503] as const).map((status) => ({ name: `HTTP ${status} after the first request`, misbehaviour: { kind: 'shed-status', status, after: 1 } as const, sign: `shed-${status}` as const })),
];
const http2Faults: FaultCombination[] = [
  ...http2Misbehaviours.map(({ name, misbehaviour, sign }): FaultCombination => ({
    name, family: families.hostileHttp2, target: () => hostileHttp2(misbehaviour), sign, expect: 'inconclusive', persistent: true,
  })),
  {
    name: 'GOAWAY after each request arrives, then a close',
    family: families.hostileHttp2, target: () => hostileHttp2({ kind: 'goaway-then-close' }), sign: 'goaway', expect: 'inconclusive', persistent: true,
  },
  // After the handshake, on some connections only: each looks like a refusal, and only repeating the probe tells them apart.
  ...[2, 3].map((n): FaultCombination => ({
    name: `every ${n === 2 ? '2nd' : '3rd'} connection cut right after its handshake`,
    family: families.hostileHttp2, target: () => hostileHttp2({ kind: 'cut-every-nth', n }), sign: 'intermittent', expect: 'not-passed', persistent: false,
  })),
  {
    name: 'HTTP 400 on every 2nd request',
    family: families.hostileHttp2, target: () => hostileHttp2({ kind: 'status-400-every-nth', n: 2 }), sign: 'intermittent', expect: 'not-passed', persistent: false,
  },
  {
    name: 'a 200, then the connection cut mid-body',
    family: families.hostileHttp2, target: () => hostileHttp2({ kind: 'answer-then-close' }), sign: 'status-proves-acceptance', expect: 'failed', persistent: true,
  },
];

const otherFaults: FaultCombination[] = [
  {
    name: 'a 200 whose body trickles for longer than the probe timeout',
    family: families.hostileHttp2,
    // One byte every 200 ms for 8 s: four times the probe timeout.
    target: () => hostileHttp2({ kind: 'slow-body', byteEveryMs: 200, bytes: 40 }),
    sign: 'status-proves-acceptance',
    expect: 'failed',
    persistent: true,
  },
  {
    name: 'the server crashes on the expired certificate',
    family: families.crashOnExpired,
    target: () =>
      opened(
        (async () => {
          const server = await startCrashingServer(serverLeaf());
          return {
            url: server.url,
            close: () => server.close(),
            faultMissing: () => (server.exit()?.code === crashExitCode ? undefined : `the server did not crash on the expired certificate (exit: ${JSON.stringify(server.exit())})\n${server.output()}`),
          };
        })(),
      ),
    sign: 'stopped-accepting',
    expect: 'inconclusive',
    persistent: true,
    finding: /^mtlspec: finding: x509\/validity\/expired over http2: the target stopped accepting connections right after this credential and did not come back: it may crash on this certificate/m,
  },
  ...[true, false].map((verify) => ({
    name: `an ECDSA-only CertificateRequest (s_server -client_sigalgs ECDSA+SHA256:ECDSA+SHA384, ${verify ? 'verifying' : 'not verifying'}): the RSA-1024 credential cannot be sent`,
    family: families.ecdsaOnlySServer,
    target: () => sServer({ verify, ecdsaOnly: true }),
    sign: 'credential-not-sent' as const,
    expect: 'inconclusive' as const,
    persistent: true,
  })),
];

const reportDirs = new Map<string, number>();
function reportDir(name: string): string {
  const slug = name.replace(/[^\w]+/g, '-').slice(0, 60);
  const n = (reportDirs.get(slug) ?? 0) + 1;
  reportDirs.set(slug, n);
  return path.join(root, `${slug}-${n}`);
}

async function runAgainst(family: Family, endpoint: Endpoint, dir: string): Promise<CliRun> {
  return runCli(['run', '--target', endpoint.url, ...(await family.credentialArgs()), ...family.selection, '--timeout', String(probeTimeoutMs), '--report-dir', dir], cliTimeoutMs);
}

function caseOf(result: ScenarioResult): string {
  return result.record?.caseId ?? result.name;
}

function describeResult(result: ScenarioResult): string {
  return `${caseOf(result)}: ${result.status}: ${result.why} [observed: ${result.record?.verdict.observed ?? '-'}]`;
}

/**
 * Everything wrong with a faulted run, as a list, so one failing test says
 * all that is wrong at once.
 */
function faultedRunProblems(run: CliRun, dir: string, combination: FaultCombination): string[] {
  const { family, expect } = combination;
  const sign = faultSigns[combination.sign];
  const problems: string[] = [];
  if (expect === 'failed' ? run.code !== 1 : run.code !== 1 && run.code !== 3) {
    problems.push(`exit code ${run.code}, expected ${expect === 'failed' ? '1' : '1 or 3'}`);
  }
  const results = readRunResults(dir);
  if (!results) {
    // A harness may stop at its preflight when the fault already shows there: fine, if it says why and
    // exits 3, unless the fault left acceptance provable (then the flaw must be reported).
    const lastLine = run.stderr.trim().split('\n').at(-1) ?? '';
    if (expect !== 'failed' && run.code === 3 && sign.test(lastLine)) return problems;
    return [...problems, `no results.json: the run stopped before the scenarios without naming the fault (${sign}): ${lastLine}`];
  }
  const scenarios = results.scenarios;
  for (const id of family.flawCases) {
    const result = scenarios.find((s) => caseOf(s) === id);
    if (!result) problems.push(`${id}: not in the results`);
    else if (result.status === 'passed' || result.status === 'warning') problems.push(`${describeResult(result)}: a flaw case must never pass under a fault`);
    else if (expect !== 'not-passed' && result.status !== expect) problems.push(`${describeResult(result)}: expected ${expect}`);
  }
  for (const result of scenarios.filter((s) => s.status === 'failed')) {
    // A failure must be the flaw (a flaw case accepted), never the fault (a must-accept case that met it).
    const accepted = result.record?.probe?.outcome.kind === 'accepted' || result.record?.repeat?.outcome.kind === 'accepted';
    if (!family.flawCases.includes(caseOf(result)) || !accepted) {
      problems.push(`${describeResult(result)}: a failure the fault caused, not the flaw`);
    }
  }
  const showingFault = scenarios.filter((s) => s.status === 'inconclusive' || (expect === 'failed' && s.status === 'failed'));
  const naming = (s: ScenarioResult): boolean => sign.test(`${s.why} ${s.record?.verdict.observed ?? ''}`);
  for (const result of showingFault.filter((s) => !naming(s))) problems.push(`${describeResult(result)}: does not name the fault (${sign})`);
  if (combination.persistent && !showingFault.some(naming)) problems.push(`no scenario names the fault (${sign})`);
  return problems;
}

/** One line for the log: the exit code, each flaw case's status and why, and the retries the run needed. */
function whatTheReportSaid(run: CliRun, dir: string, family: Family): string {
  const scenarios = readRunResults(dir)?.scenarios;
  if (!scenarios) return `exit ${run.code}; no scenarios: ${run.stderr.trim().split('\n').at(-1) ?? ''}`;
  const retries = scenarios.filter((s) => s.retries > 0).map((s) => `${caseOf(s)} ${s.retries}`);
  const flaws = family.flawCases.map((id) => scenarios.find((s) => caseOf(s) === id)).filter((s): s is ScenarioResult => s !== undefined);
  return `exit ${run.code}; ${flaws.map((s) => `${caseOf(s)} ${s.status}: ${s.why}`).join(' | ')}; retries: ${retries.join(', ') || 'none'}`;
}

function runSummary(run: CliRun): string {
  return `exit ${run.code}\n${run.stdout.trim()}\n${run.stderr.trim().split('\n').slice(-5).join('\n')}`;
}

describe('baseline: each flawed server, without a fault, fails its run', { concurrency: 3 }, () => {
  const all: readonly Family[] = Object.values(families);
  for (const family of all) {
    it(`${family.name}${family.baselineNote ? ` (${family.baselineNote})` : ''}`, async () => {
      const endpoint = await family.baseline();
      const dir = reportDir(`baseline ${family.name}`);
      const run = await runAgainst(family, endpoint, dir);
      assert.equal(run.code, 1, runSummary(run));
      const failed = (readRunResults(dir)?.scenarios ?? []).filter((s) => s.status === 'failed').map(caseOf).sort();
      assert.deepEqual(failed, [...family.flawCases].sort(), 'exactly the flaw cases fail');
    });
  }
});

describe('a target that misbehaves never turns a flawed run green', { concurrency: 4 }, () => {
  const combinations = [
    ...proxyFaults(families.ignoreExpiry),
    ...proxyFaults(families.acceptAnyCert),
    ...proxyFaults(families.noSpiffeAuthorization),
    ...proxyFaults(families.jwtIgnoreCnf),
    ...http2Faults,
    ...otherFaults,
  ];
  for (const combination of combinations) {
    it(`${combination.family.name}: ${combination.name}`, async (t) => {
      const endpoint = await combination.target();
      const dir = reportDir(`${combination.family.name} ${combination.name}`);
      const run = await runAgainst(combination.family, endpoint, dir);
      t.diagnostic(whatTheReportSaid(run, dir, combination.family));
      const missing = endpoint.faultMissing?.();
      assert.equal(missing, undefined, `the fault must really happen for the test to mean anything: ${missing}`);
      assert.deepEqual(faultedRunProblems(run, dir, combination), [], runSummary(run));
      if (combination.finding) assert.match(run.stdout, combination.finding);
    });
  }
});
