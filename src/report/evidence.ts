import type { ConformanceCase } from '../catalogue/case.js';
import type { CaseProbe } from '../run/session.js';
import { targetLabels, type TargetKey } from '../target/target.js';
import type { Verdict } from '../verdict/judge.js';
import { appFactsOf, type ClientFlight } from '../probe/outcome.js';
import { connectionLines, connectionRecords, type ConnectionRecord } from '../proxy/connection-evidence.js';

/** Whether the certificate really went out, in words: the evidence a refusal rests on. */
export function certificatePresentation(flight: ClientFlight | undefined): string {
  if (!flight) return 'unknown';
  // Node names rsa_pss_rsae and rsa_pss_pss alike: shown once.
  const allowed = flight.sharedSigalgs?.length ? ` (the server allows ${[...new Set(flight.sharedSigalgs)].join(', ')})` : '';
  switch (flight.certificate) {
    case 'sent':
      return `sent${allowed}`;
    case 'none':
      return 'none presented (the case presents none)';
    case 'not-requested':
      return 'not sent: the server did not ask for one';
    case 'not-sendable':
      return `not sent: this key needs ${flight.keyNeeds ?? 'another algorithm'}${allowed}, so an empty Certificate went out`;
    case 'not-reached':
      return 'not sent: the connection ended before the client\'s certificate flight';
  }
}
import { formatCertificateSummary, summarizeCertificate, type CertificateSummary } from './certificate-summary.js';
import type { TokenEvidence } from '../token/evidence.js';

/**
 * The record of one scenario, attached to the cucumber report and read back
 * by the CLI for its summary and exit code. It holds public material only:
 * certificates, never their keys.
 */
export interface ScenarioRecord {
  readonly caseId: string;
  readonly title: string;
  readonly rule: string;
  readonly level: ConformanceCase['level'];
  readonly protocol: TargetKey;
  readonly target: string;
  readonly verdict: Verdict;
  /** Absent when the case was skipped. */
  readonly probe?: ProbeEvidence;
  /** The case again, right after a refusal without a signal (which counts only when it repeats). */
  readonly repeat?: ProbeEvidence;
  /** The valid control before the case (for server cases: the run's first control). */
  readonly control?: ProbeEvidence;
  /** The valid control probed again right after a refusal: the refusal counts only if this was accepted. */
  readonly controlAfter?: ProbeEvidence;
  /** `mtlspec client`: how the client under test ran for this case (its command, exit code, the end of its stderr). */
  readonly clientRun?: ClientRunEvidence;
}

export interface ClientRunEvidence {
  /** The command as run, placeholders filled in; absent in --listen mode, where mtlspec starts no client. */
  readonly command?: string;
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  /** mtlspec killed the client's process group at the timeout. */
  readonly timedOut?: boolean;
  readonly spawnError?: string;
  /** The last bytes of its stderr (bounded). */
  readonly stderr?: string;
  /** How many TLS connections it made to mtlspec for this case. */
  readonly connections: number;
  /** Whether it presented a client certificate of its own (mTLS). */
  readonly presentedClientCertificate: boolean;
  /** The SNI it sent. */
  readonly servername?: string;
}

export interface ProbeEvidence {
  readonly outcome: CaseProbe['outcome'];
  /** Connections it took: more than 1 when the target shed the first tries (load, rate, draining). */
  readonly attempts: number;
  /** The client certificate presented, as a reviewer reads it (absent: none was presented). Never a key. */
  readonly clientCertificate?: CertificateSummary;
  /** The bearer token(s) the request carried: header, claims and fingerprint. Never the token. */
  readonly token?: readonly TokenEvidence[];
  /** `mtlspec client`: the server certificate mtlspec presented to the client under test. Never a key. */
  readonly serverCertificate?: CertificateSummary;
  /** With --repeat N: each connection, and the server certificate (by fingerprint) that answered it. */
  readonly connections?: readonly ConnectionRecord[];
}

/** File name that marks the attachment the CLI reads back. */
export const recordFileName = 'mtlspec-record.json';

export function scenarioRecord(
  conformanceCase: ConformanceCase,
  protocol: TargetKey,
  target: string,
  verdict: Verdict,
  probes: { probe?: CaseProbe | undefined; repeat?: CaseProbe | undefined; control?: CaseProbe | undefined; controlAfter?: CaseProbe | undefined },
): ScenarioRecord {
  return {
    caseId: conformanceCase.id,
    title: conformanceCase.title,
    rule: conformanceCase.rule,
    level: conformanceCase.level,
    protocol,
    target,
    verdict,
    ...(probes.probe ? { probe: probeEvidence(probes.probe) } : {}),
    ...(probes.repeat ? { repeat: probeEvidence(probes.repeat) } : {}),
    ...(probes.control ? { control: probeEvidence(probes.control) } : {}),
    ...(probes.controlAfter ? { controlAfter: probeEvidence(probes.controlAfter) } : {}),
  };
}

function probeEvidence(caseProbe: CaseProbe): ProbeEvidence {
  return {
    outcome: caseProbe.outcome,
    attempts: caseProbe.attempts,
    ...(caseProbe.connections ? { connections: connectionRecords(caseProbe.connections) } : {}),
    ...(caseProbe.credential ? { clientCertificate: summarizeCertificate(caseProbe.credential.certPem) } : {}),
    ...(caseProbe.token ? { token: caseProbe.token } : {}),
  };
}

/** The credential as a reviewer reads it, then its PEM. Deliberately takes no key. */
export function credentialText(certPem: string | undefined): string {
  if (!certPem) return 'The client presented no certificate.';
  return `${formatCertificateSummary(summarizeCertificate(certPem))}\n\n${certPem}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The scenario's evidence as a reviewer reads it in the HTML report: the
 * rule and level, expected vs observed, then the TLS and application facts
 * of the probe and of the control.
 */
export function evidenceText(record: ScenarioRecord): string {
  const v = record.verdict;
  const lines = [
    `${record.caseId}: ${record.title}`,
    `Rule: ${record.rule} (${record.level})`,
    `Target: ${targetLabels[record.protocol] ?? record.protocol} ${record.target}`,
    `Expected: ${v.expected}; observed: ${v.observed}.`,
    `Verdict: ${v.status}. ${capitalize(v.why)}.`,
  ];
  if (v.alert) {
    lines.push(`Alert (SHOULD tier): expected ${v.alert.expected.join(' or ')}; observed ${v.alert.observed ?? 'none'}${v.alert.matches ? '' : ' (mismatch)'}`);
  }
  if (record.probe) lines.push('', `Probe${tries(record.probe)}`, ...outcomeFacts(record.probe.outcome), ...connectionLines(record.probe.connections), ...tokenFacts(record.probe.token));
  if (record.repeat) lines.push('', `Probe again (a refusal without a signal counts only when it repeats)${tries(record.repeat)}`, ...outcomeFacts(record.repeat.outcome));
  if (record.control) lines.push('', `Control before (the valid credential, same path, same run)${tries(record.control)}`, ...outcomeFacts(record.control.outcome), ...connectionLines(record.control.connections));
  if (record.controlAfter) lines.push('', `Control after (the valid credential again, on a fresh connection)${tries(record.controlAfter)}`, ...outcomeFacts(record.controlAfter.outcome), ...connectionLines(record.controlAfter.connections));
  if (record.clientRun) lines.push('', 'The client under test', ...clientRunFacts(record.clientRun));
  return lines.join('\n');
}

/** The token as a reviewer reads it: header, claims, fingerprint; the token itself is never kept. */
function tokenFacts(tokens: readonly TokenEvidence[] | undefined): string[] {
  if (!tokens) return [];
  if (tokens.length === 0) return ['  Token: none sent'];
  return tokens.map((token, index) => `  Token${tokens.length > 1 ? ` ${index + 1}` : ''} ${token.fingerprint}: header ${JSON.stringify(token.header ?? 'unreadable')}, claims ${JSON.stringify(token.claims ?? 'unreadable')}`);
}

/** The client's own evidence: how it ended, and the end of what it said on stderr. */
export function clientRunFacts(run: ClientRunEvidence): string[] {
  const ended = run.spawnError ? `could not be started: ${run.spawnError}`
    : run.timedOut ? 'killed at the timeout (its whole process group)'
      : run.exitCode === undefined ? undefined : run.signal ? `ended by ${run.signal}` : `exit code ${run.exitCode}`;
  return [
    ...(run.command ? [`  Command: ${run.command}`] : []),
    ...(ended ? [`  Ended: ${ended}`] : []),
    `  Connections to mtlspec: ${run.connections}${run.servername ? `, SNI ${run.servername}` : ''}; client certificate ${run.presentedClientCertificate ? 'presented' : 'not presented'}`,
    ...(run.stderr ? [`  Stderr (its end): ${JSON.stringify(run.stderr.slice(-500))}`] : []),
  ];
}

/** " (3 attempts: the target shed 2)" when a probe needed retries. Records from older runs have no count. */
function tries(evidence: ProbeEvidence): string {
  const attempts = evidence.attempts ?? 1;
  return attempts > 1 ? ` (${attempts} attempts: the target shed ${attempts - 1})` : '';
}

/** The record's retries: of the case's probe and of the controls around it. */
export function retriesOf(record: ScenarioRecord): number {
  return [record.probe, record.repeat, record.control, record.controlAfter].reduce((sum, evidence) => sum + Math.max(0, (evidence?.attempts ?? 1) - 1), 0);
}

function outcomeFacts(outcome: CaseProbe['outcome']): string[] {
  const t = outcome.tls;
  const timing = Object.entries(t.timings)
    .map(([name, ms]) => `${name.replace(/Ms$/, '')} ${ms} ms`)
    .join(', ');
  const facts = [
    `  Outcome: ${outcome.kind}${outcome.kind === 'rejected' ? ` at ${outcome.stage}` : outcome.kind === 'unreachable' || outcome.kind === 'shed' ? ` (${outcome.reason})` : ''}: ${outcome.detail}`,
    `  TLS: ${t.version ?? 'no handshake'}${t.cipher ? `, ${t.cipher}` : ''}, ALPN ${t.alpn || 'none'}, alert ${t.alert ? `${t.alert.name}${t.alert.code === undefined ? '' : ` (${t.alert.code})`}` : 'none'}, closed by ${t.closedBy ?? 'nobody'}${t.errorCode ? `, error ${t.errorCode}` : ''}`,
    `  Client certificate: ${certificatePresentation(t.client)}`,
    `  Timings: ${timing}`,
  ];
  const app = appFactsOf(outcome);
  if (app) {
    const status = app.grpcStatus !== undefined ? `gRPC ${app.grpcStatusName ?? app.grpcStatus}${app.grpcMessage ? ` "${app.grpcMessage}"` : ''} (HTTP ${app.httpStatus ?? '?'})` : app.httpStatus !== undefined ? `HTTP ${app.httpStatus}` : 'no status';
    const http2 = [
      app.streamError ? `stream reset ${app.streamError}` : '',
      app.goaway ? `GOAWAY ${app.goaway.errorCode} (last stream ${app.goaway.lastStreamId})` : '',
      app.retryAfterMs !== undefined ? `Retry-After ${app.retryAfterMs} ms` : '',
      app.bodyTruncated ? 'body cut at its bound' : '',
      app.httpVersion ? `spoken: ${app.httpVersion}` : '',
      app.acceptedOn ? `acceptance rests on: ${app.acceptedOn.replace('-', ' ')}` : '',
      app.wwwAuthenticate ? `WWW-Authenticate: ${app.wwwAuthenticate}` : '',
      app.requestHeaders?.length ? `sent ${app.requestHeaders.map((h) => `${h.name}: ${h.shown}`).join(', ')}` : '',
      app.foldedHeaders?.length ? `HTTP/2 carried the repeated ${app.foldedHeaders.join(', ')} as one field` : '',
    ].filter(Boolean);
    facts.push(`  Application: ${status}${http2.length ? `; ${http2.join('; ')}` : ''}${app.bodyExcerpt ? `; body: ${JSON.stringify(app.bodyExcerpt.slice(0, 200))}` : ''}`);
  }
  return facts;
}
