import type { ScenarioResult } from '../report/results.js';
import type { TargetKey } from '../target/target.js';
import { hintedServers, rootCauseRules, type CauseId, type HintedServer, type Match, type RootCauseRule } from './root-causes.js';
import { factsByTarget } from './target-facts.js';

/**
 * The run's failures grouped into root causes, each with the evidence that
 * supports it and where to fix it. What reports/results.json carries as
 * `diagnosis`, and what the terminal and index.html show above the failures.
 */
export interface RootCause {
  readonly cause: CauseId;
  /** observed: read off the handshake or the answer; likely: inferred from which cases were accepted and refused. */
  readonly certainty: 'observed' | 'likely';
  readonly title: string;
  readonly evidence: string;
  /** The targets it holds on, in the run's order. */
  readonly targets: readonly TargetKey[];
  /** The cases whose findings it explains, on any of those targets. */
  readonly cases: readonly string[];
  readonly hints: ReadonlyArray<{ readonly server: HintedServer; readonly setting: string }>;
}

interface Found {
  readonly rule: RootCauseRule;
  readonly targets: TargetKey[];
  readonly cases: Set<string>;
  readonly details: string[];
}

export function diagnose(scenarios: readonly ScenarioResult[]): RootCause[] {
  const found = new Map<CauseId, Found>();
  for (const facts of factsByTarget(scenarios)) {
    const matches = new Map<CauseId, Match>();
    for (const rule of rootCauseRules) {
      const match = rule.detect(facts);
      if (match) matches.set(rule.id, match);
    }
    for (const [id, match] of explained(matches)) {
      const rule = rootCauseRules.find((r) => r.id === id);
      if (!rule) continue;
      const entry = found.get(id) ?? { rule, targets: [], cases: new Set<string>(), details: [] };
      found.set(id, entry);
      entry.targets.push(facts.target);
      for (const c of match.cases) entry.cases.add(c);
      entry.details.push(...(match.details ?? []));
    }
  }
  // The table's order: the first fix first.
  return rootCauseRules.flatMap((rule) => {
    const entry = found.get(rule.id);
    if (!entry) return [];
    const cases = [...entry.cases];
    return [{
      cause: rule.id,
      certainty: rule.certainty,
      title: rule.title,
      evidence: rule.evidence({ cases, details: entry.details }),
      targets: entry.targets,
      cases,
      hints: hintedServers.flatMap((server) => {
        const setting = rule.hints[server];
        return setting ? [{ server, setting }] : [];
      }),
    }];
  });
}

/**
 * A cause that explains another found on the same target takes its cases and
 * replaces it: a server that never asks for a certificate also accepts an
 * expired one, and the fix is to ask.
 */
function explained(matches: ReadonlyMap<CauseId, Match>): Map<CauseId, Match> {
  const kept = new Map(matches);
  for (const rule of rootCauseRules) {
    const own = kept.get(rule.id);
    if (!own) continue;
    let cases = [...own.cases];
    for (const other of rule.explains ?? []) {
      const theirs = kept.get(other);
      if (!theirs) continue;
      cases = [...cases, ...theirs.cases.filter((c) => !cases.includes(c))];
      kept.delete(other);
    }
    kept.set(rule.id, { ...own, cases });
  }
  return kept;
}
