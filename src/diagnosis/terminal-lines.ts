import type { RootCause } from './diagnose.js';

/**
 * The diagnosis as the terminal prints it, before the summary line: each
 * cause, the evidence it rests on, then the setting to change per server.
 * With --quiet, one line per cause: a CI log still says what to fix first.
 */
export function diagnosisLines(diagnosis: readonly RootCause[], options: { quiet: boolean }): string[] {
  if (diagnosis.length === 0) return [];
  if (options.quiet) return diagnosis.map((cause) => `mtlspec: root cause (${cause.certainty}): ${cause.title} (${cause.targets.join(', ')})`);
  const width = Math.max(...diagnosis.flatMap((cause) => cause.hints.map((hint) => hint.server.length)));
  return [
    `mtlspec: diagnosis: ${diagnosis.length === 1 ? 'one root cause' : `${diagnosis.length} root causes`} of the failures (each also in index.html and results.json)`,
    ...diagnosis.flatMap((cause, index) => [
      `  ${index + 1}. ${cause.title} [${cause.certainty}; on ${cause.targets.join(', ')}]`,
      `     evidence: ${cause.evidence}`,
      '     fix:',
      ...cause.hints.map((hint) => `       ${hint.server.padEnd(width)}  ${hint.setting}`),
    ]),
  ];
}
