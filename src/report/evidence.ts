import type { ConformanceCase } from '../catalogue/case.js';
import type { CaseProbe } from '../run/session.js';
import { targetLabels, type TargetKey } from '../target/target.js';
import type { Verdict } from '../verdict/judge.js';
import { formatCertificateSummary, summarizeCertificate } from './certificate-summary.js';

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
  readonly clientCertificateSha256?: string;
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
    ...(caseProbe.credential ? { clientCertificateSha256: summarizeCertificate(caseProbe.credential.certPem).sha256Fingerprint } : {}),
  };
}

/** The credential as a reviewer reads it, then its PEM. Deliberately takes no key. */
export function credentialText(certPem: string | undefined): string {
  if (!certPem) return 'The client presented no certificate.';
  return `${formatCertificateSummary(summarizeCertificate(certPem))}\n\n${certPem}`;
}

/** One line for a human: "[HTTP/2] x509/validity/expired: passed — expected ..., observed ...". */
export function verdictLine(record: ScenarioRecord): string {
  const v = record.verdict;
  return `[${targetLabels[record.protocol]}] ${record.caseId} (${record.rule}): ${v.status}. Expected: ${v.expected}; observed: ${v.observed}. ${capitalize(v.why)}.`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
