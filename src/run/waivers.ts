import { selectCases, type ConformanceCase } from '../catalogue/case.js';
import type { ScenarioResult } from '../report/results.js';
import { targetLabels } from '../target/target.js';
import { InputError } from './inputs.js';

/**
 * A decision to live with a known finding, recorded in the config file with
 * its reason (`waivers:`), as TLS-Anvil's expected results and BoringSSL's
 * DisabledTests do. A waived finding is still reported, apart, with the
 * reason; it only stops failing the run. An expired waiver fails the run,
 * so a decision cannot outlive its review date unnoticed.
 */
export interface Waiver {
  /** A case id, or a prefix ending at a "/" boundary, as --case takes. */
  readonly case: string;
  /** A target key (grpc, http2, tls, pinned) or the target's URL; absent: every target. */
  readonly target?: string;
  readonly reason: string;
  /** Last day the waiver holds (YYYY-MM-DD, UTC). */
  readonly expires?: string;
}

const keys = ['case', 'target', 'reason', 'expires'];

/**
 * The config file's `waivers:` list, checked: anything malformed is an
 * InputError naming the entry (exit 2), never a waiver that silently does
 * not apply. A JSON string is accepted too (--waivers, MTLSPEC_WAIVERS).
 */
export function parseWaivers(value: unknown, catalogue: readonly ConformanceCase[]): Waiver[] {
  if (value === undefined || value === null) return [];
  let list: unknown = value;
  if (typeof value === 'string') {
    try {
      list = JSON.parse(value) as unknown;
    } catch {
      throw new InputError('waivers must be a list of {case, target, reason, expires}; this one is a string that is not JSON');
    }
  }
  if (!Array.isArray(list)) throw new InputError('waivers must be a list of {case, target, reason, expires}');
  return list.map((entry: unknown, index) => parseWaiver(entry, `waiver ${index + 1}`, catalogue));
}

function parseWaiver(entry: unknown, where: string, catalogue: readonly ConformanceCase[]): Waiver {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new InputError(`${where} must be an object with case, reason and optionally target and expires`);
  const fields = entry as Record<string, unknown>;
  const unknown = Object.keys(fields).find((key) => !keys.includes(key));
  if (unknown) throw new InputError(`${where} has an unknown key "${unknown}"; a waiver has ${keys.join(', ')}`);
  const { case: caseId, target, reason } = fields;
  if (typeof caseId !== 'string' || caseId.trim() === '') throw new InputError(`${where} needs a case: a case id or a prefix such as x509/usage`);
  if (selectCases(catalogue, [caseId]).length === 0) throw new InputError(`${where}: case "${caseId}" matches no case`);
  if (typeof reason !== 'string' || reason.trim() === '') throw new InputError(`${where} (${caseId}) needs a reason: why the finding is accepted`);
  if (target !== undefined && (typeof target !== 'string' || !(target in targetLabels || /^[a-z]+:\/\//.test(target)))) {
    throw new InputError(`${where} (${caseId}): target must be one of ${Object.keys(targetLabels).join(', ')} or the target's URL`);
  }
  const expires = expiryOf(fields['expires'], `${where} (${caseId})`);
  return { case: caseId, ...(target !== undefined ? { target } : {}), reason: reason.trim(), ...(expires ? { expires } : {}) };
}

/** YAML may hand a date over as a Date; either way it must be a real day. */
function expiryOf(value: unknown, where: string): string | undefined {
  if (value === undefined) return undefined;
  const text = value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString().slice(0, 10) : value;
  const day = typeof text === 'string' ? new Date(`${text}T00:00:00Z`) : undefined;
  // A day that does not exist (2026-02-30) is refused, not rolled over into the next month.
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(text) || !day || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== text) {
    throw new InputError(`${where}: expires must be a date as YYYY-MM-DD (got ${JSON.stringify(value)})`);
  }
  return text;
}

/** Today as YYYY-MM-DD in UTC: a waiver holds through its expiry day. */
export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

export function isExpired(waiver: Waiver, today: string): boolean {
  return waiver.expires !== undefined && waiver.expires < today;
}

/** The first live waiver that covers this result's case and target, if any. */
export function waiverFor(result: ScenarioResult, waivers: readonly Waiver[], today: string): Waiver | undefined {
  const record = result.record;
  if (!record) return undefined;
  return waivers.find(
    (w) =>
      !isExpired(w, today) &&
      (record.caseId === w.case || record.caseId.startsWith(`${w.case.replace(/\/$/, '')}/`)) &&
      (w.target === undefined || w.target === record.protocol || w.target === record.target),
  );
}

export function describeWaiver(waiver: Waiver): string {
  return `${waiver.case}${waiver.target ? ` over ${waiver.target}` : ''}${waiver.expires ? ` (until ${waiver.expires})` : ''}: ${waiver.reason}`;
}
