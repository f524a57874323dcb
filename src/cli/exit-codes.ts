import type { ScenarioResult } from '../report/results.js';

/** The CLI's promises to scripts and CI; documented in the README. */
export const ExitCode = {
  /** Every judged scenario passed. */
  passed: 0,
  /** A conformance failure, or a scenario that ended without a verdict. */
  failed: 1,
  /** Bad flags, config or input files. */
  usage: 2,
  /** The target could not be judged: unreachable, or the valid control was refused. */
  inconclusive: 3,
  /** The harness itself broke; a bug to report. */
  internal: 4,
} as const;

export function exitCodeFor(results: readonly ScenarioResult[]): number {
  if (results.some((r) => r.status === 'failed' || r.status === 'error')) return ExitCode.failed;
  if (results.some((r) => r.status === 'inconclusive')) return ExitCode.inconclusive;
  return ExitCode.passed;
}
