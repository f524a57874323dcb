import { writeFileSync } from 'node:fs';
import { InputError, readInputText } from '../run/inputs.js';
import type { ScenarioResult } from './results.js';

/**
 * A baseline: the findings a team has seen and accepted, so CI fails only
 * on new ones. One finding is a case on a target with a status; the target
 * is the target's key (grpc, http2, tls, pinned), not its URL, since the
 * built-in servers listen on a new port every run. The file is sorted JSON
 * without timestamps, so an unchanged run writes the same bytes.
 */
export interface Finding {
  readonly case: string;
  readonly target: string;
  readonly status: 'failed' | 'error';
}

interface BaselineFile {
  readonly mtlspec: 'baseline';
  readonly version: 1;
  readonly findings: readonly Finding[];
}

/** The scenarios that fail a run: failures, and scenarios that ended without a verdict. */
export function isFinding(result: ScenarioResult): result is ScenarioResult & { status: Finding['status'] } {
  return result.status === 'failed' || result.status === 'error';
}

export function findingOf(result: ScenarioResult & { status: Finding['status'] }): Finding {
  return { case: result.record?.caseId ?? result.name, target: result.record?.protocol ?? 'unknown', status: result.status };
}

export function findingKey(finding: Finding): string {
  return `${finding.case} ${finding.target} ${finding.status}`;
}

export function describeFinding(finding: Finding): string {
  return `${finding.case} over ${finding.target} (${finding.status})`;
}

export function renderBaseline(findings: readonly Finding[]): string {
  const unique = new Map(findings.map((f) => [findingKey(f), { case: f.case, target: f.target, status: f.status }]));
  const sorted = [...unique.values()].sort((a, b) => a.case.localeCompare(b.case) || a.target.localeCompare(b.target) || a.status.localeCompare(b.status));
  const file: BaselineFile = { mtlspec: 'baseline', version: 1, findings: sorted };
  return `${JSON.stringify(file, null, 2)}\n`;
}

export function writeBaseline(file: string, findings: readonly Finding[]): void {
  try {
    writeFileSync(file, renderBaseline(findings));
  } catch (error) {
    throw new InputError(`--write-baseline ${file} cannot be written: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Reads --baseline FILE; missing, unreadable or malformed is an InputError (exit 2), before any probe. */
export function readBaseline(file: string): Finding[] {
  const text = readInputText(file, '--baseline');
  const bad = (why: string): InputError => new InputError(`--baseline ${file} is not an mtlspec baseline (write one with --write-baseline): ${why}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw bad(`it does not parse as JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as Partial<BaselineFile>).mtlspec !== 'baseline') throw bad('no "mtlspec": "baseline" marker');
  const { version, findings } = parsed as { version?: unknown; findings?: unknown };
  if (version !== 1) throw bad(`version ${JSON.stringify(version)}, expected 1`);
  if (!Array.isArray(findings)) throw bad('"findings" is not a list');
  return findings.map((entry: unknown, index) => {
    const f = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    if (typeof f['case'] !== 'string' || typeof f['target'] !== 'string' || (f['status'] !== 'failed' && f['status'] !== 'error')) {
      throw bad(`finding ${index + 1} needs a case, a target and a status of failed or error`);
    }
    return { case: f['case'], target: f['target'], status: f['status'] };
  });
}
