import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../paths.js';
import type { TargetKey } from '../target/target.js';
import { countByStatus } from './terminal.js';
import { diagnose, type RootCause } from '../diagnosis/diagnose.js';
import type { ResultStatus, ScenarioResult } from './results.js';
import type { GateSummary } from '../run/finding-gate.js';
import type { BackendCheck } from '../proxy/backend-check.js';

/**
 * reports/results.json: every verdict with its evidence, for scripts, and
 * the one input of reports/index.html. Public material only: certificates
 * and outcomes, never a key.
 */
export interface RunResults {
  readonly tool: { readonly name: 'mtlspec'; readonly version: string };
  readonly startedAt: string;
  readonly wallMs: number;
  /** Each target the run probed: built-in servers, or the user's URL. */
  readonly targets: ReadonlyArray<{ readonly key: TargetKey; readonly url: string }>;
  readonly strict: boolean;
  /** Deliberate flaws of the built-in servers, when the run switched some on. */
  readonly flaws: readonly string[];
  readonly totals: Readonly<Record<ResultStatus, number>>;
  readonly scenarios: readonly ScenarioResult[];
  /** Waivers and the baseline, when the run had any: which findings did not fail it, and why. */
  readonly gate?: GateSummary;
  /** --backend: the service behind the proxy, tried directly (src/proxy/backend-check.ts). */
  readonly backendChecks?: readonly BackendCheck[];
  /** The failures grouped into likely root causes, with evidence and fix hints (absent in results from before it existed). */
  readonly diagnosis?: readonly RootCause[];
}

export function toolVersion(): string {
  const manifest = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version?: string };
  return manifest.version ?? 'unknown';
}

export function buildRunResults(scenarios: readonly ScenarioResult[], meta: Omit<RunResults, 'tool' | 'totals' | 'scenarios' | 'targets' | 'diagnosis'>): RunResults {
  const targets = new Map<TargetKey, string>();
  for (const s of scenarios) if (s.record) targets.set(s.record.protocol, s.record.target);
  return {
    tool: { name: 'mtlspec', version: toolVersion() },
    ...meta,
    targets: [...targets].map(([key, url]) => ({ key, url })),
    totals: countByStatus(scenarios),
    scenarios,
    diagnosis: diagnose(scenarios),
  };
}

export function writeRunResults(file: string, results: RunResults): void {
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}
