/**
 * Where one run's wall time went, read from the cucumber messages it wrote
 * (messages.ndjson): no profiler needed. Cucumber stamps messages with
 * Date.now() (millisecond resolution) and measures step and hook durations
 * with a high-resolution clock, so the sums below are exact and the phase
 * edges are good to a millisecond.
 */
import { readFileSync } from 'node:fs';
import type { Envelope } from '@cucumber/messages';
import { round } from './stats.js';

export interface RunPhases {
  /** Process spawn to cucumber's testRunStarted: Node start-up, module loading, yargs, loadConfiguration, Gherkin parsing. */
  readonly beforeTestRunMs: number;
  /** The BeforeAll hook: the run's PKI and the reference servers. */
  readonly beforeAllHookMs: number;
  readonly scenarios: number;
  /** First testCaseStarted to last testCaseFinished. */
  readonly scenariosMs: number;
  /** Sum of the step durations, by Gherkin keyword type: Context (Given: the control), Action (When: mint and probe), Outcome (Then: judge and attach). */
  readonly stepsMs: Record<string, number>;
  /** scenariosMs minus every step: cucumber's own time between and around steps (formatters, messages, hooks bookkeeping). */
  readonly betweenStepsMs: number;
  readonly betweenStepsPerScenarioMs: number;
  /** The AfterAll hook: closing servers, removing the PKI dir. */
  readonly afterAllHookMs: number;
  /** testRunFinished to process exit: formatters flushing (HTML, JUnit), the CLI's own report, exit. */
  readonly afterTestRunMs: number;
}

interface Stamp {
  seconds: number;
  nanos: number;
}

const ms = (t: Stamp): number => t.seconds * 1000 + t.nanos / 1e6;

export function readPhases(messagesFile: string, spawnedAtMs: number, exitedAtMs: number): RunPhases {
  const envelopes = readFileSync(messagesFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Envelope);

  const stepType = new Map<string, string>(); // pickle step id -> Context/Action/Outcome
  const testStepType = new Map<string, string>(); // test step id -> type
  const hookType = new Map<string, string>(); // hook id -> BEFORE_TEST_RUN...
  const hookRuns = new Map<string, string>(); // testRunHookStarted id -> hook id
  const stepsMs: Record<string, number> = {};
  let runStarted: number | undefined;
  let runFinished: number | undefined;
  let firstCase: number | undefined;
  let lastCase: number | undefined;
  let scenarios = 0;
  let beforeAllHookMs = 0;
  let afterAllHookMs = 0;

  for (const envelope of envelopes) {
    if (envelope.pickle) for (const step of envelope.pickle.steps) stepType.set(step.id, step.type ?? 'Unknown');
    if (envelope.hook?.type) hookType.set(envelope.hook.id, envelope.hook.type);
    if (envelope.testCase) {
      for (const step of envelope.testCase.testSteps) testStepType.set(step.id, step.pickleStepId ? (stepType.get(step.pickleStepId) ?? 'Unknown') : 'Hook');
    }
    if (envelope.testRunStarted) runStarted = ms(envelope.testRunStarted.timestamp);
    if (envelope.testRunFinished) runFinished = ms(envelope.testRunFinished.timestamp);
    if (envelope.testRunHookStarted) hookRuns.set(envelope.testRunHookStarted.id, envelope.testRunHookStarted.hookId);
    if (envelope.testRunHookFinished) {
      const finished = envelope.testRunHookFinished;
      const duration = ms(finished.result.duration);
      const type = hookType.get(hookRuns.get(finished.testRunHookStartedId) ?? '');
      if (type === 'BEFORE_TEST_RUN') beforeAllHookMs += duration;
      if (type === 'AFTER_TEST_RUN') afterAllHookMs += duration;
    }
    if (envelope.testCaseStarted) {
      scenarios++;
      firstCase ??= ms(envelope.testCaseStarted.timestamp);
    }
    if (envelope.testCaseFinished) lastCase = ms(envelope.testCaseFinished.timestamp);
    if (envelope.testStepFinished) {
      const type = testStepType.get(envelope.testStepFinished.testStepId) ?? 'Unknown';
      stepsMs[type] = (stepsMs[type] ?? 0) + ms(envelope.testStepFinished.testStepResult.duration);
    }
  }
  if (runStarted === undefined || runFinished === undefined || firstCase === undefined || lastCase === undefined) {
    throw new Error(`${messagesFile}: no complete test run in the messages`);
  }
  const scenariosMs = lastCase - firstCase;
  const allSteps = Object.values(stepsMs).reduce((sum, v) => sum + v, 0);
  const roundedSteps: Record<string, number> = {};
  for (const [type, value] of Object.entries(stepsMs)) roundedSteps[type] = round(value, 1);
  return {
    beforeTestRunMs: round(runStarted - spawnedAtMs, 1),
    beforeAllHookMs: round(beforeAllHookMs, 1),
    scenarios,
    scenariosMs: round(scenariosMs, 1),
    stepsMs: roundedSteps,
    betweenStepsMs: round(scenariosMs - allSteps, 1),
    betweenStepsPerScenarioMs: round((scenariosMs - allSteps) / Math.max(1, scenarios), 2),
    afterAllHookMs: round(afterAllHookMs, 1),
    afterTestRunMs: round(exitedAtMs - runFinished, 1),
  };
}
