import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ConformanceCase } from '../catalogue/case.js';
import { findingKey, findingOf, isFinding, readBaseline, type Finding } from '../report/baseline.js';
import { InputError } from './inputs.js';
import type { ScenarioResult } from '../report/results.js';
import { ExitCode, exitCodeFor } from '../cli/exit-codes.js';
import { isExpired, parseWaivers, utcDay, waiverFor, type Waiver } from './waivers.js';

/**
 * After the verdicts, before the exit code: which findings still fail the
 * run. Verdicts stay as judged (judge() knows nothing of this); a waived or
 * baselined finding keeps its status in every report and is listed apart,
 * and only the exit code and the lines that explain it change.
 */
export interface GatePolicy {
  readonly waivers: readonly Waiver[];
  /** --baseline: the findings accepted earlier. */
  readonly baseline?: { readonly file: string; readonly findings: readonly Finding[] };
  /** --write-baseline: this run's findings are recorded there, and accepted. */
  readonly writeBaseline?: string;
}

/**
 * Waivers and baselines, read and checked before any probe: a malformed
 * waiver or an unreadable baseline is a usage error (exit 2), never a run
 * whose gate silently does nothing.
 */
export function gatePolicyFrom(options: { waivers: unknown; baseline: string | undefined; writeBaseline: string | undefined }, catalogue: readonly ConformanceCase[]): GatePolicy {
  const write = options.writeBaseline;
  if (write !== undefined) {
    if (existsSync(write) && statSync(write).isDirectory()) throw new InputError(`--write-baseline ${write} is a directory; name a file`);
    if (!existsSync(path.dirname(path.resolve(write)))) throw new InputError(`--write-baseline ${write}: its folder does not exist`);
  }
  return {
    waivers: parseWaivers(options.waivers, catalogue),
    ...(options.baseline !== undefined ? { baseline: { file: options.baseline, findings: readBaseline(options.baseline) } } : {}),
    ...(write !== undefined ? { writeBaseline: write } : {}),
  };
}

export interface GateOutcome {
  /** Every result, a waived finding carrying its waiver. */
  readonly results: readonly ScenarioResult[];
  /** This run's findings, waived or not: what --write-baseline records. */
  readonly findings: readonly Finding[];
  readonly waived: readonly ScenarioResult[];
  /** Waivers past their date: each fails the run. */
  readonly expired: readonly Waiver[];
  readonly baseline?: {
    readonly file: string;
    /** Findings of this run the baseline holds: reported, not failing. */
    readonly known: readonly Finding[];
    /** Findings of this run the baseline does not hold: these fail. */
    readonly new: readonly Finding[];
    /** In the baseline, for a case and target this run judged, and no longer found. */
    readonly gone: readonly Finding[];
  };
  /** Findings neither waived nor accepted by a baseline: they fail the run. */
  readonly failing: readonly ScenarioResult[];
}

export function gateFindings(results: readonly ScenarioResult[], policy: GatePolicy, now: Date): GateOutcome {
  const today = utcDay(now);
  const withWaivers = results.map((result): ScenarioResult => {
    const waiver = isFinding(result) ? waiverFor(result, policy.waivers, today) : undefined;
    return waiver ? { ...result, waiver } : result;
  });
  const findings = withWaivers.filter(isFinding).map(findingOf);
  const accepted = new Set((policy.baseline?.findings ?? []).map(findingKey));
  if (policy.writeBaseline) for (const f of findings) accepted.add(findingKey(f));
  const unwaived = withWaivers.filter((r) => isFinding(r) && !r.waiver);
  const failing = unwaived.filter((r) => isFinding(r) && !accepted.has(findingKey(findingOf(r))));
  const outcome = {
    results: withWaivers,
    findings,
    waived: withWaivers.filter((r) => r.waiver),
    expired: policy.waivers.filter((w) => isExpired(w, today)),
    failing,
  };
  if (!policy.baseline) return outcome;
  const before = new Set(policy.baseline.findings.map(findingKey));
  const current = new Set(findings.map(findingKey));
  const judged = new Set(results.filter((r) => r.record).map((r) => `${r.record?.caseId} ${r.record?.protocol}`));
  return {
    ...outcome,
    baseline: {
      file: policy.baseline.file,
      known: findings.filter((f) => before.has(findingKey(f))),
      new: unwaived.filter(isFinding).map(findingOf).filter((f) => !before.has(findingKey(f))),
      gone: policy.baseline.findings.filter((f) => !current.has(findingKey(f)) && judged.has(`${f.case} ${f.target}`)),
    },
  };
}

/** 1 for an expired waiver or a finding that still fails; otherwise as without a gate (3 when inconclusive). */
export function gatedExitCode(outcome: GateOutcome): number {
  if (outcome.expired.length > 0) return ExitCode.failed;
  const failing = new Set(outcome.failing);
  return exitCodeFor(outcome.results.filter((r) => !isFinding(r) || failing.has(r)));
}

/** The gate as results.json records it: the verdicts stay in `scenarios`, each waived one with its waiver. */
export interface GateSummary {
  readonly waived: ReadonlyArray<{ readonly case: string; readonly target: string; readonly status: string; readonly waiver: Waiver | undefined }>;
  readonly expiredWaivers: readonly Waiver[];
  readonly baseline?: GateOutcome['baseline'];
  readonly baselineWritten?: { readonly file: string; readonly findings: number };
}

export function gateSummary(outcome: GateOutcome, written?: string): GateSummary {
  return {
    waived: outcome.waived.map((r) => ({ case: r.record?.caseId ?? r.name, target: r.record?.protocol ?? 'unknown', status: r.status, waiver: r.waiver })),
    expiredWaivers: outcome.expired,
    ...(outcome.baseline ? { baseline: outcome.baseline } : {}),
    ...(written ? { baselineWritten: { file: written, findings: outcome.findings.length } } : {}),
  };
}
