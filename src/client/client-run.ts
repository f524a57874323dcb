import type { Outcome } from '../probe/outcome.js';
import { summarizeCertificate } from '../report/certificate-summary.js';
import type { ClientRunEvidence, ScenarioRecord } from '../report/evidence.js';
import type { Progress, ScenarioResult } from '../report/results.js';
import type { Verdict } from '../verdict/judge.js';
import { controlCaseId, sniLabel, underClientProfile, type ServerCredentialCase } from './case.js';
import { fillPlaceholders, startClient, type ClientProcessResult } from './client-process.js';
import { ClientRunPki } from './credentials.js';
import { HostileServer, type ConnectionReport, type ServedCase } from './hostile-server.js';
import { judgeClient, skippedClientCase, type ClientBracket } from './judge.js';
import { controlCase, type SelectedCase } from './selection.js';

/**
 * One run of `mtlspec client`: the control first, then each selected case,
 * then the control again, each against the client under test, which either
 * mtlspec starts per case (--exec) or which connects by itself (--listen).
 * Every wait is bounded: a client that hangs is killed at the timeout, one
 * that never connects makes its case inconclusive.
 */
export interface ClientRunSettings {
  readonly mode: { readonly kind: 'exec'; readonly command: string } | { readonly kind: 'listen' };
  /** 0: any free port (exec); --listen names one. */
  readonly port: number;
  readonly timeoutMs: number;
  readonly strict: boolean;
  readonly profile: string;
  readonly serverSpiffeId: string | undefined;
  readonly clientSpiffeId: string;
  /** The selection (--case, --tags); the control runs whatever it is. */
  readonly cases: readonly SelectedCase[];
  readonly pkiDir: string | undefined;
  /** Lines the person running it needs whatever --quiet says: where to connect, in --listen mode. */
  readonly announce: (line: string) => void;
  readonly onResult?: (result: ScenarioResult, progress: Progress) => void;
}

export type ClientRunEnd =
  | { readonly kind: 'judged'; readonly results: readonly ScenarioResult[]; readonly startedAt: string; readonly wallMs: number; readonly target: string }
  /** The client did not accept the valid server credential: nothing else can be judged. */
  | { readonly kind: 'control-refused'; readonly reason: string }
  /** The --exec command is not a command: the shell could not find or run it (bad input, not a verdict). */
  | { readonly kind: 'bad-command'; readonly reason: string };

/** What the client did with one case's credential. */
interface Observation {
  readonly outcome: Outcome;
  readonly reports: readonly ConnectionReport[];
  readonly process?: ClientProcessResult;
  readonly certPem: string;
  readonly durationMs: number;
}

/** The name an --exec client is told to reach: loopback by name, as the server leaves name it. */
const execHost = 'localhost';
/** After the client exits, how long its last connection may take to be reported (the close travels on loopback). */
const settleMs = 1000;
/** --listen: the first connection may take this long, since a person may still be starting the client. */
const firstConnectionMs = 60_000;

export async function runClientCases(settings: ClientRunSettings): Promise<ClientRunEnd> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const pki = await ClientRunPki.create({ clientSpiffeId: settings.clientSpiffeId, serverSpiffeId: settings.serverSpiffeId, pkiDir: settings.pkiDir });
  try {
    const control = controlCase();
    const selected = settings.cases.filter((s) => s.testCase.id !== controlCaseId);
    const runnable = selected.filter((s) => whyNotRun(s.testCase, settings, pki) === undefined).map((s) => s.testCase);
    const observer = settings.mode.kind === 'exec'
      ? await execObserver(settings.mode.command, settings, pki)
      : await listenObserver([control, ...runnable], settings, pki);
    let observations: ReadonlyMap<string, Observation>;
    let controlAfter: Observation | undefined;
    try {
      const before = await observer.observe(control);
      const unusable = badCommand(before);
      if (unusable) return { kind: 'bad-command', reason: unusable };
      if (before.outcome.kind !== 'accepted') return { kind: 'control-refused', reason: controlRefused(before, settings) };
      const seen = new Map<string, Observation>([[control.id, before]]);
      for (const testCase of runnable) seen.set(testCase.id, await observer.observe(testCase));
      controlAfter = runnable.length > 0 ? await observer.observeAgain(control) : undefined;
      observations = seen;
    } finally {
      await observer.close();
    }
    const controlBefore = observations.get(control.id);
    const bracket: ClientBracket = { before: controlBefore?.outcome, after: controlAfter?.outcome };
    const all = [{ testCase: control, name: settings.cases.find((s) => s.testCase.id === controlCaseId)?.name ?? `the client accepts ${controlCaseId} (${control.rule})` }, ...selected];
    const results: ScenarioResult[] = [];
    for (const { testCase: listed, name } of all) {
      const testCase = underClientProfile(listed, settings.profile);
      const observation = observations.get(testCase.id);
      const skippedBecause = whyNotRun(testCase, settings, pki);
      const verdict: Verdict = skippedBecause !== undefined ? skippedClientCase(skippedBecause)
        : observation ? judgeClient(testCase, observation.outcome, bracket, { strict: settings.strict })
          : { status: 'inconclusive', why: 'the client made no connection for this case', expected: 'a connection', observed: 'none' };
      // A case not run has no controls of its own to show: the report would read them as its evidence.
      const controls = testCase.id === controlCaseId || !observation ? undefined : { before: controlBefore, after: controlAfter };
      const record = clientRecord(testCase, observer.target, verdict, observation, controls);
      const result: ScenarioResult = { name, status: verdict.status, why: verdict.why, durationMs: observation?.durationMs ?? 0, retries: 0, record };
      results.push(result);
      settings.onResult?.(result, { done: results.length, total: all.length });
    }
    return { kind: 'judged', results, startedAt, wallMs: performance.now() - started, target: observer.target };
  } finally {
    pki.remove();
  }
}

/** Why a selected case cannot run for this client, in words; undefined when it can. */
function whyNotRun(testCase: ServerCredentialCase, settings: ClientRunSettings, pki: ClientRunPki): string | undefined {
  if (testCase.requires?.includes('server-spiffe-id') && settings.serverSpiffeId === undefined) {
    return "the client's SPIFFE policy is unknown: pass --server-spiffe-id with the ID it authorizes for its server to check that it refuses others";
  }
  return pki.problem(testCase);
}

interface Observer {
  /** How the reports name the client: its command, or where mtlspec listened. */
  readonly target: string;
  observe(testCase: ServerCredentialCase): Promise<Observation>;
  /** The same case once more (the control after the cases). */
  observeAgain(testCase: ServerCredentialCase): Promise<Observation>;
  close(): Promise<void>;
}

/** --exec: one client process per case, against the one listener, which serves the current case. */
async function execObserver(command: string, settings: ClientRunSettings, pki: ClientRunPki): Promise<Observer> {
  let current: ServedCase | undefined;
  const reports: ConnectionReport[] = [];
  const server = await HostileServer.listen(settings.port, { take: () => current, giveBack: () => undefined, byServername: () => undefined }, (r) => reports.push(r), settings.timeoutMs);
  const placeholders = {
    url: `https://${execHost}:${server.port}/`, host: execHost, port: String(server.port),
    ca: pki.files.ca, cert: pki.files.cert, key: pki.files.key, servername: execHost,
  };
  const observe = async (testCase: ServerCredentialCase): Promise<Observation> => {
    const served = await pki.served(testCase, execHost);
    const from = reports.length;
    current = served;
    const process = await startClient(fillPlaceholders(command, placeholders), settings.timeoutMs).done;
    await withinMs(server.settled(), settleMs);
    current = undefined;
    const mine = reports.slice(from).filter((r) => r.caseId === testCase.id);
    return { outcome: combine(mine, process, settings.timeoutMs), reports: mine, process, certPem: served.leaf.certPem, durationMs: process.durationMs };
  };
  return { target: command, observe, observeAgain: observe, close: () => server.close() };
}

/**
 * --listen: the client connects by itself. Each connection gets the next
 * case in order (the control first and last), unless its SNI names one
 * (`<case>.localhost`, e.g. validity-expired.localhost), as bettertls does.
 * One connection at a time: two at once in order mode would get the same case.
 */
async function listenObserver(order: readonly ServerCredentialCase[], settings: ClientRunSettings, pki: ClientRunPki): Promise<Observer> {
  const sequence = [...order, ...(order.length > 1 ? [order[0] as ServerCredentialCase] : [])];
  // Minted ahead: the case is chosen inside the handshake, where there is no time to sign a certificate.
  const byOrder = (await Promise.all(sequence.map((c) => pki.served(c, execHost)))).map((served, slot) => ({ ...served, slot }));
  const byName = new Map<string, ServedCase & { leaf: { certPem: string } }>();
  for (const testCase of order) byName.set(`${sniLabel(testCase.id)}.localhost`, await pki.served(testCase, `${sniLabel(testCase.id)}.localhost`));
  let next = 0;
  const orderReports: Array<ConnectionReport | undefined> = [];
  const sniReports = new Map<string, ConnectionReport>();
  let wake: (() => void) | undefined;
  const onReport = (report: ConnectionReport): void => {
    if (report.bySni) {
      const known = sniReports.get(report.caseId);
      // An accepted connection is the answer; a later refusal does not undo it.
      if (!known || (known.outcome.kind !== 'accepted' && report.outcome.kind === 'accepted')) sniReports.set(report.caseId, report);
    } else if (report.served.slot !== undefined) {
      orderReports[report.served.slot] = report;
    }
    wake?.();
  };
  const server = await HostileServer.listen(
    settings.port,
    {
      take: () => byOrder[next++],
      // The slot goes back only when no connection took a later one meanwhile (one at a time, as the order asks).
      giveBack: (served) => {
        if (served.slot !== undefined && served.slot === next - 1) next -= 1;
      },
      byServername: (name) => byName.get(name.toLowerCase()),
    },
    onReport,
    settings.timeoutMs,
  );
  settings.announce(`mtlspec: listening on ${server.hosts.join(' and ')}:${server.port} as a hostile TLS server; give the client ${pki.files.ca} as its CA (and ${pki.files.cert}, ${pki.files.key} as its credential)`);
  settings.announce(`mtlspec: connect ${sequence.length} times, one at a time (the control ${controlCaseId} first and last), or name a case by SNI: ${sniLabel(controlCaseId)}.localhost, ${order[1] ? `${sniLabel(order[1].id)}.localhost, ...` : ''}`);
  let waited = false;
  let quiet = false;
  /**
   * Waits until `ready()` or no connection for a while; the first wait is long (a person may be starting the
   * client). Once the client has gone quiet, the cases after it are not waited for again, one timeout each.
   */
  const until = async (ready: () => boolean): Promise<void> => {
    while (!ready() && !quiet) {
      const idleMs = waited ? settings.timeoutMs : Math.max(settings.timeoutMs, firstConnectionMs);
      const arrived = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), idleMs);
        wake = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
      wake = undefined;
      waited = true;
      quiet = !arrived;
    }
  };
  const orderIndex = new Map<string, number[]>();
  sequence.forEach((c, i) => orderIndex.set(c.id, [...(orderIndex.get(c.id) ?? []), i]));
  const observeAt = async (testCase: ServerCredentialCase, occurrence: number): Promise<Observation> => {
    const index = orderIndex.get(testCase.id)?.[occurrence] ?? -1;
    await until(() => sniReports.has(testCase.id) || orderReports[index] !== undefined);
    const report = orderReports[index] ?? sniReports.get(testCase.id);
    const served = report?.bySni ? byName.get(report.servername?.toLowerCase() ?? '') : byOrder[index];
    const outcome: Outcome = report?.outcome ?? { kind: 'unreachable', reason: 'timeout', tls: { timings: { totalMs: 0 } }, detail: `no connection came for this case (the ${index + 1}th in order, or SNI ${sniLabel(testCase.id)}.localhost) before the client went quiet for ${settings.timeoutMs} ms` };
    return { outcome, reports: report ? [report] : [], certPem: served?.leaf.certPem ?? '', durationMs: outcome.tls.timings.totalMs };
  };
  return {
    target: `listening on 127.0.0.1:${server.port}`,
    observe: (testCase) => observeAt(testCase, 0),
    observeAgain: async (testCase) => {
      // Connecting by SNI, the client chooses what it tries; there is no "after" to wait for.
      if (sniReports.size > 0) return observeAt(testCase, 0);
      return observeAt(testCase, 1);
    },
    close: () => server.close(),
  };
}

/** One outcome from the case's connections: accepted if any sent data, else the first refusal, else why none. */
function combine(reports: readonly ConnectionReport[], process: ClientProcessResult, timeoutMs: number): Outcome {
  const found = reports.find((r) => r.outcome.kind === 'accepted') ?? reports.find((r) => r.outcome.kind === 'rejected') ?? reports[0];
  if (found) return found.outcome;
  const detail = process.spawnError ? `the client command could not be started: ${process.spawnError}`
    : process.timedOut ? `the client did not connect within ${timeoutMs} ms, and was killed`
      : `the client ended (${process.signal ? `by ${process.signal}` : `exit code ${process.exitCode}`}) without connecting to mtlspec`;
  return { kind: 'unreachable', reason: process.timedOut ? 'timeout' : 'refused', tls: { timings: { totalMs: process.durationMs } }, detail };
}

/** Exit statuses POSIX shells give a command they cannot find (127) or cannot execute (126). */
const shellCannotRun: Readonly<Record<number, string>> = { 126: 'cannot be executed', 127: 'was not found' };

/** When the control's client never connected because the shell could not run it: what to say instead of a verdict. */
function badCommand(control: Observation): string | undefined {
  const p = control.process;
  if (!p || control.reports.length > 0) return undefined;
  if (p.spawnError) return `--exec could not be started: ${p.spawnError}`;
  const why = p.exitCode === null ? undefined : shellCannotRun[p.exitCode];
  if (!why) return undefined;
  const said = p.stderr.trim().split('\n').at(-1);
  return `--exec: the command ${why} (the shell exited ${p.exitCode})${said ? `: ${said.slice(0, 300)}` : ''}`;
}

function controlRefused(control: Observation, settings: ClientRunSettings): string {
  const said = control.process?.stderr.trim().split('\n').at(-1);
  // An outcome without a connection already says how the client ended.
  const p = control.outcome.kind === 'unreachable' ? undefined : control.process;
  const ended = p ? (p.timedOut ? '; it was killed at the timeout' : p.spawnError ? '' : `; it ended with ${p.signal ?? `exit code ${p.exitCode}`}`) : '';
  const hint = settings.mode.kind === 'exec'
    ? 'check that the command gives the client {ca} as its trust and connects to {url} (or {host}:{port})'
    : `check that the client trusts ${'the CA printed above'} and connects to the port printed above`;
  return `the client did not accept the valid server credential (the control ${controlCaseId}): ${control.outcome.detail}${ended}${said ? `; its stderr ends: ${said.slice(0, 300)}` : ''}; ${hint}`;
}

function clientRecord(
  testCase: ServerCredentialCase,
  target: string,
  verdict: Verdict,
  observation: Observation | undefined,
  controls: { before: Observation | undefined; after: Observation | undefined } | undefined,
): ScenarioRecord {
  const evidence = (o: Observation): NonNullable<ScenarioRecord['probe']> => ({
    outcome: o.outcome,
    // One attempt: "attempts" counts probes a server shed; the client's connections are in clientRun.
    attempts: 1,
    ...(o.certPem ? { serverCertificate: summarizeCertificate(o.certPem) } : {}),
  });
  return {
    caseId: testCase.id,
    title: testCase.title,
    rule: testCase.rule,
    level: testCase.level,
    protocol: 'client',
    target,
    verdict,
    ...(observation ? { probe: evidence(observation), clientRun: clientRunEvidence(observation) } : {}),
    ...(controls?.before ? { control: evidence(controls.before) } : {}),
    ...(controls?.after ? { controlAfter: evidence(controls.after) } : {}),
  };
}

function clientRunEvidence(o: Observation): ClientRunEvidence {
  const p = o.process;
  const servername = o.reports.find((r) => r.servername !== undefined)?.servername;
  return {
    ...(p ? { command: p.command, exitCode: p.exitCode, signal: p.signal, timedOut: p.timedOut, stderr: p.stderr } : {}),
    ...(p?.spawnError ? { spawnError: p.spawnError } : {}),
    connections: o.reports.length,
    presentedClientCertificate: o.reports.some((r) => r.clientCertificate),
    ...(servername ? { servername } : {}),
  };
}

/** Resolves when `promise` does or after `ms`, whichever is first: a bounded wait on something that should be quick. */
async function withinMs(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
