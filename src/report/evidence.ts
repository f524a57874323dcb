import type { ConformanceCase } from '../catalogue/case.js';
import type { CaseProbe } from '../run/session.js';
import { targetLabels, type TargetKey } from '../target/target.js';
import type { Verdict } from '../verdict/judge.js';
import { formatCertificateSummary, summarizeCertificate, type CertificateSummary } from './certificate-summary.js';

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
  readonly control?: ProbeEvidence;
}

interface ProbeEvidence {
  readonly outcome: CaseProbe['outcome'];
  /** The client certificate presented, as a reviewer reads it (absent: none was presented). Never a key. */
  readonly clientCertificate?: CertificateSummary;
}

/** File name that marks the attachment the CLI reads back. */
export const recordFileName = 'mtlspec-record.json';

export function scenarioRecord(
  conformanceCase: ConformanceCase,
  protocol: TargetKey,
  target: string,
  verdict: Verdict,
  probes: { probe?: CaseProbe | undefined; control?: CaseProbe | undefined },
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
    ...(probes.control ? { control: probeEvidence(probes.control) } : {}),
  };
}

function probeEvidence(caseProbe: CaseProbe): ProbeEvidence {
  return {
    outcome: caseProbe.outcome,
    ...(caseProbe.credential ? { clientCertificate: summarizeCertificate(caseProbe.credential.certPem) } : {}),
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
    `Target: ${targetLabels[record.protocol]} ${record.target}`,
    `Expected: ${v.expected}; observed: ${v.observed}.`,
    `Verdict: ${v.status}. ${capitalize(v.why)}.`,
  ];
  if (v.alert) {
    lines.push(`Alert (SHOULD tier): expected ${v.alert.expected.join(' or ')}; observed ${v.alert.observed ?? 'none'}${v.alert.matches ? '' : ' (mismatch)'}`);
  }
  if (record.probe) lines.push('', 'Probe', ...outcomeFacts(record.probe.outcome));
  if (record.control) lines.push('', 'Control (the valid credential, same path, same run)', ...outcomeFacts(record.control.outcome));
  return lines.join('\n');
}

function outcomeFacts(outcome: CaseProbe['outcome']): string[] {
  const t = outcome.tls;
  const timing = Object.entries(t.timings)
    .map(([name, ms]) => `${name.replace(/Ms$/, '')} ${ms} ms`)
    .join(', ');
  const facts = [
    `  Outcome: ${outcome.kind}${outcome.kind === 'rejected' ? ` at ${outcome.stage}` : outcome.kind === 'unreachable' ? ` (${outcome.reason})` : ''}: ${outcome.detail}`,
    `  TLS: ${t.version ?? 'no handshake'}${t.cipher ? `, ${t.cipher}` : ''}, ALPN ${t.alpn || 'none'}, alert ${t.alert ? `${t.alert.name}${t.alert.code === undefined ? '' : ` (${t.alert.code})`}` : 'none'}, closed by ${t.closedBy ?? 'nobody'}${t.errorCode ? `, error ${t.errorCode}` : ''}`,
    `  Timings: ${timing}`,
  ];
  if (outcome.kind !== 'unreachable' && outcome.app) {
    const app = outcome.app;
    const status = app.grpcStatus !== undefined ? `gRPC ${app.grpcStatusName ?? app.grpcStatus}${app.grpcMessage ? ` "${app.grpcMessage}"` : ''} (HTTP ${app.httpStatus ?? '?'})` : app.httpStatus !== undefined ? `HTTP ${app.httpStatus}` : 'no status';
    facts.push(`  Application: ${status}${app.bodyExcerpt ? `; body: ${JSON.stringify(app.bodyExcerpt.slice(0, 200))}` : ''}`);
  }
  return facts;
}
