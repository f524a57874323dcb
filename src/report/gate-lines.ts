import type { GateOutcome } from '../run/finding-gate.js';
import { describeWaiver } from '../run/waivers.js';
import { describeFinding } from './baseline.js';

/** The lines that explain the gate: printed after the totals, also with --quiet, since they decide the exit code. */
export function gateLines(outcome: GateOutcome, written?: string): string[] {
  const lines = [
    ...outcome.waived.map((r) => `mtlspec: waived: ${r.record?.caseId} over ${r.record?.protocol} (${r.status}, not failing the run): ${r.waiver?.reason}${r.waiver?.expires ? ` (until ${r.waiver.expires})` : ''}`),
    ...outcome.expired.map((w) => `mtlspec: expired waiver (fails the run): ${describeWaiver({ ...w, expires: undefined })}; it expired after ${w.expires}: renew it with a new date, or fix the finding`),
  ];
  const b = outcome.baseline;
  if (b) {
    lines.push(`mtlspec: baseline ${b.file}: ${b.known.length} known finding${b.known.length === 1 ? '' : 's'} (not failing the run), ${b.new.length} new, ${b.gone.length} gone`);
    lines.push(...b.new.map((f) => `mtlspec: new finding, not in the baseline: ${describeFinding(f)}`));
    lines.push(...b.gone.map((f) => `mtlspec: gone, in the baseline but no longer found: ${describeFinding(f)}`));
  }
  if (written) lines.push(`mtlspec: baseline written to ${written}: ${outcome.findings.length} finding${outcome.findings.length === 1 ? '' : 's'}, accepted for this run`);
  return lines;
}
