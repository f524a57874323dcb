import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { recordFileName, type ScenarioRecord } from '../../src/report/evidence.js';
import type { RunResults } from '../../src/report/run-results.js';

/** The scenario records a run attached, read back from its messages.ndjson. */
export function readRecords(reportDir: string): ScenarioRecord[] {
  const records: ScenarioRecord[] = [];
  for (const line of readFileSync(path.join(reportDir, 'messages.ndjson'), 'utf8').split('\n')) {
    if (!line) continue;
    const envelope = JSON.parse(line) as { attachment?: { fileName?: string; body: string } };
    if (envelope.attachment?.fileName === recordFileName) records.push(JSON.parse(envelope.attachment.body) as ScenarioRecord);
  }
  return records;
}

/** A run's reports/results.json; undefined when the run wrote none (it stopped before the scenarios, e.g. at the preflight). */
export function readRunResults(reportDir: string): RunResults | undefined {
  const file = path.join(reportDir, 'results.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunResults) : undefined;
}

/** Case ids whose expectation the target did not meet, per protocol: what a run detected. */
export function detectedByProtocol(records: readonly ScenarioRecord[]): Map<string, string[]> {
  const detected = new Map<string, string[]>();
  for (const record of records) {
    const list = detected.get(record.protocol) ?? [];
    if (record.verdict.expectationMet === false) list.push(record.caseId);
    detected.set(record.protocol, list);
  }
  for (const list of detected.values()) list.sort();
  return detected;
}
