import path from 'node:path';
import type { TargetKey } from '../target/target.js';
import type { Progress, ResultStatus, ScenarioResult } from './results.js';

/**
 * What a person sees in the terminal: a line per scenario as it ends (with
 * progress), a table of totals per target, then one summary line. Colors
 * only for a person at a terminal; CI logs and pipes get plain text.
 */

export interface TerminalStyle {
  readonly color: boolean;
}

export function terminalStyle(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): TerminalStyle {
  return { color: stream.isTTY === true && env['CI'] !== 'true' && env['NO_COLOR'] === undefined };
}

const marks: Record<ResultStatus, string> = { passed: 'PASS', warning: 'WARN', failed: 'FAIL', inconclusive: 'INCONCLUSIVE', skipped: 'SKIP', info: 'INFO', error: 'ERROR' };
const colors: Record<ResultStatus, number> = { passed: 32, warning: 33, failed: 31, inconclusive: 90, skipped: 90, info: 36, error: 35 };
const statusOrder: readonly ResultStatus[] = ['passed', 'warning', 'failed', 'inconclusive', 'skipped', 'info', 'error'];

function paint(text: string, status: ResultStatus, style: TerminalStyle): string {
  return style.color ? `\u001b[${colors[status]}m${text}\u001b[0m` : text;
}

export function scenarioLine(result: ScenarioResult, style: TerminalStyle = { color: false }, progress?: Progress): string {
  const label = result.record ? `${result.record.caseId} over ${result.record.protocol}` : result.name;
  const why = result.status === 'passed' ? '' : result.status === 'info' ? `: ${result.why}` : `\n      ${result.why}`;
  const counter = progress ? `[${String(progress.done).padStart(String(progress.total).length)}/${progress.total}] ` : '';
  const retries = result.retries ?? 0;
  const tries = retries > 0 ? `, ${retries} ${retries === 1 ? 'retry' : 'retries'} after the target shed a probe` : '';
  return `  ${counter}${paint(marks[result.status].padEnd(12), result.status, style)} ${label} (${result.durationMs} ms${tries})${why}`;
}

export function countByStatus(results: readonly Pick<ScenarioResult, 'status'>[]): Record<ResultStatus, number> {
  const counts: Record<ResultStatus, number> = { passed: 0, warning: 0, failed: 0, inconclusive: 0, skipped: 0, info: 0, error: 0 };
  for (const r of results) counts[r.status] += 1;
  return counts;
}

/** Totals per target, then overall, as an aligned table; the reports to open under it. */
export function totalsTable(results: readonly ScenarioResult[], reports: { index: string; html: string; junit: string; results: string }, style: TerminalStyle): string {
  const targets = [...new Set(results.map((r) => r.record?.protocol).filter((t): t is TargetKey => t !== undefined))];
  const rows: Array<[string, Record<ResultStatus, number>]> = [
    ...targets.map((t): [string, Record<ResultStatus, number>] => [t, countByStatus(results.filter((r) => r.record?.protocol === t))]),
    ['total', countByStatus(results)],
  ];
  const width = Math.max(6, ...rows.map(([name]) => name.length));
  const column = Math.max(...statusOrder.map((s) => s.length)) + 2;
  const header = `  ${'target'.padEnd(width)} ${statusOrder.map((s) => s.padStart(column)).join('')}`;
  const lines = rows.map(([name, counts]) => `  ${name.padEnd(width)} ${statusOrder.map((s) => (counts[s] > 0 ? paint(String(counts[s]).padStart(column), s, style) : '0'.padStart(column))).join('')}`);
  const relative = (file: string): string => path.relative(process.cwd(), file) || file;
  // `mtlspec client` writes no cucumber report: it passes the index page as html, named once.
  const html = reports.html === reports.index ? '' : `${relative(reports.html)}, `;
  return [header, ...lines, `  reports: ${relative(reports.index)} (start here), ${html}${relative(reports.junit)}, ${relative(reports.results)}`].join('\n');
}

export function summaryLine(results: readonly ScenarioResult[], wallMs: number, htmlReport: string): string {
  const c = countByStatus(results);
  const errors = c.error > 0 ? `, ${c.error} error` : '';
  const skipped = c.skipped > 0 ? `, ${c.skipped} skipped` : '';
  const warnings = c.warning > 0 ? ` (+${c.warning} passed with a SHOULD warning)` : '';
  const info = c.info > 0 ? `, ${c.info} informational` : '';
  const report = path.relative(process.cwd(), htmlReport) || htmlReport;
  return `mtlspec: ${results.length} scenarios: ${c.passed} passed${warnings}, ${c.failed} failed, ${c.inconclusive} inconclusive${skipped}${info}${errors} in ${(wallMs / 1000).toFixed(2)} s; report: ${report}`;
}

/** "mtlspec: finding: ..." lines, one per scenario that raised one (see Verdict.finding). */
export function findingLines(results: readonly ScenarioResult[]): string[] {
  return results.flatMap((result) => {
    const finding = result.record?.verdict.finding;
    return finding ? [`mtlspec: finding: ${result.record?.caseId} over ${result.record?.protocol}: ${finding}`] : [];
  });
}
