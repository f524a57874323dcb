import type { Envelope, TestStepResultStatus } from '@cucumber/messages';
import { recordFileName, retriesOf, type ScenarioRecord } from './evidence.js';
import type { Waiver } from '../run/waivers.js';

/**
 * The result of one scenario, as the run reports it. Built from cucumber's
 * message stream: the verdict record a scenario attached, cross-checked with
 * the status cucumber gave it. A scenario that ended without a verdict record
 * (a harness bug, an undefined step) is an 'error', never a pass.
 */
export type ResultStatus = 'passed' | 'warning' | 'failed' | 'inconclusive' | 'skipped' | 'info' | 'error';

export interface Progress {
  readonly done: number;
  readonly total: number;
}

export interface ScenarioResult {
  readonly name: string;
  readonly status: ResultStatus;
  readonly why: string;
  readonly durationMs: number;
  /** Probes repeated because the target shed them (load, rate, draining): the case's and its controls'. */
  readonly retries: number;
  readonly record?: ScenarioRecord;
  /** A failure the config file's waivers accept: the status stays, reports list it apart (src/run/finding-gate.ts). */
  readonly waiver?: Waiver;
}

interface Started {
  pickleName: string;
  startedAt: number;
  record?: ScenarioRecord;
  worstStatus: TestStepResultStatus | 'PASSED';
  firstError?: string;
}

const severity: Record<string, number> = { PASSED: 0, SKIPPED: 1, PENDING: 2, UNDEFINED: 3, AMBIGUOUS: 4, FAILED: 5, UNKNOWN: 6 };

export class ResultCollector {
  readonly results: ScenarioResult[] = [];
  readonly #pickleNames = new Map<string, string>();
  readonly #testCasePickles = new Map<string, string>();
  readonly #started = new Map<string, Started>();

  /** How many scenarios cucumber announced: it emits every test case before running any. */
  #planned = 0;

  constructor(private readonly onResult: (result: ScenarioResult, progress: Progress) => void = () => undefined) {}

  accept(envelope: Envelope): void {
    if (envelope.pickle) this.#pickleNames.set(envelope.pickle.id, envelope.pickle.name);
    if (envelope.testCase) {
      this.#testCasePickles.set(envelope.testCase.id, envelope.testCase.pickleId);
      this.#planned += 1;
    }
    if (envelope.testCaseStarted) {
      const pickleId = this.#testCasePickles.get(envelope.testCaseStarted.testCaseId) ?? '';
      this.#started.set(envelope.testCaseStarted.id, {
        pickleName: this.#pickleNames.get(pickleId) ?? '(unknown scenario)',
        startedAt: toMs(envelope.testCaseStarted.timestamp),
        worstStatus: 'PASSED',
      });
    }
    if (envelope.attachment?.fileName === recordFileName && envelope.attachment.testCaseStartedId) {
      const started = this.#started.get(envelope.attachment.testCaseStartedId);
      if (started) started.record = JSON.parse(envelope.attachment.body) as ScenarioRecord;
    }
    if (envelope.testStepFinished) {
      const started = this.#started.get(envelope.testStepFinished.testCaseStartedId);
      const result = envelope.testStepFinished.testStepResult;
      if (started && (severity[result.status] ?? 6) > (severity[started.worstStatus] ?? 0)) {
        started.worstStatus = result.status;
        if (result.message && !started.firstError) started.firstError = firstLine(result.message);
      }
    }
    if (envelope.testCaseFinished && !envelope.testCaseFinished.willBeRetried) {
      const started = this.#started.get(envelope.testCaseFinished.testCaseStartedId);
      if (started) {
        const result = conclude(started, toMs(envelope.testCaseFinished.timestamp) - started.startedAt);
        this.results.push(result);
        this.onResult(result, { done: this.results.length, total: this.#planned });
      }
    }
  }
}

function conclude(started: Started, durationMs: number): ScenarioResult {
  const base = { name: started.pickleName, durationMs: Math.round(durationMs), retries: started.record ? retriesOf(started.record) : 0 };
  const record = started.record;
  if (!record) {
    return { ...base, status: 'error', why: `the scenario ended without a verdict (cucumber status ${started.worstStatus}${started.firstError ? `: ${started.firstError}` : ''})` };
  }
  // The record's verdict and cucumber's status must agree; if they do not, trust neither.
  const cucumberStatus: Record<ScenarioRecord['verdict']['status'], string> = {
    passed: 'PASSED', warning: 'PASSED', info: 'PASSED', failed: 'FAILED', inconclusive: 'SKIPPED', skipped: 'SKIPPED',
  };
  const agrees = cucumberStatus[record.verdict.status] === started.worstStatus;
  if (!agrees) {
    return { ...base, record, status: 'error', why: `verdict ${record.verdict.status} but cucumber status ${started.worstStatus}${started.firstError ? `: ${started.firstError}` : ''}` };
  }
  return { ...base, record, status: record.verdict.status, why: record.verdict.why };
}

function toMs(timestamp: { seconds: number; nanos: number }): number {
  return timestamp.seconds * 1000 + timestamp.nanos / 1e6;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
