import type { Outcome } from '../probe/outcome.js';
import type { ScenarioRecord } from '../report/evidence.js';
import type { ScenarioResult } from '../report/results.js';
import type { TargetKey } from '../target/target.js';

/**
 * What one target's judged scenarios say, reduced to the facts the root-cause
 * rules read. Only verdicts that judged something count (passed, warning,
 * failed): an inconclusive or skipped scenario says nothing about the
 * target, so it can neither support nor contradict a cause.
 */
export interface TargetFacts {
  readonly target: TargetKey;
  /** Cases whose expectation the target did not meet: it accepted what it must refuse, or the other way round. */
  readonly missed: ReadonlySet<string>;
  /** Cases whose expectation the target met. */
  readonly met: ReadonlySet<string>;
  /** The judged record of each case, for the evidence (the negotiated version, the handshake). */
  readonly records: ReadonlyMap<string, ScenarioRecord>;
  /** Handshakes that reached the client's certificate flight, by whether the server sent a CertificateRequest. */
  readonly handshakes: { readonly requested: number; readonly notRequested: number };
}

const judged: ReadonlySet<ScenarioResult['status']> = new Set(['passed', 'warning', 'failed']);

/** One TargetFacts per target, in the order the targets first appear. */
export function factsByTarget(scenarios: readonly ScenarioResult[]): TargetFacts[] {
  const byTarget = new Map<TargetKey, ScenarioRecord[]>();
  for (const scenario of scenarios) {
    const record = scenario.record;
    // The collector's status is the authority: a record that disagrees with cucumber is an 'error' there.
    if (!record || !judged.has(scenario.status) || record.verdict.expectationMet === undefined) continue;
    // A waived finding is a decision already taken (with its reason): it does not make a root cause to fix.
    if (scenario.waiver !== undefined) continue;
    byTarget.set(record.protocol, [...(byTarget.get(record.protocol) ?? []), record]);
  }
  return [...byTarget].map(([target, records]) => factsOf(target, records));
}

function factsOf(target: TargetKey, records: readonly ScenarioRecord[]): TargetFacts {
  const missed = new Set<string>();
  const met = new Set<string>();
  const byCase = new Map<string, ScenarioRecord>();
  let requested = 0;
  let notRequested = 0;
  for (const record of records) {
    (record.verdict.expectationMet ? met : missed).add(record.caseId);
    byCase.set(record.caseId, record);
    for (const outcome of outcomesOf(record)) {
      const asked = certificateRequested(outcome);
      if (asked === true) requested += 1;
      if (asked === false) notRequested += 1;
    }
  }
  return { target, missed, met, records: byCase, handshakes: { requested, notRequested } };
}

function outcomesOf(record: ScenarioRecord): Outcome[] {
  return [record.probe, record.repeat, record.control, record.controlAfter].flatMap((evidence) => (evidence ? [evidence.outcome] : []));
}

/**
 * Did the server send a CertificateRequest in this handshake? Read off the
 * client's flight: the signature algorithms the server allows for a client
 * certificate are empty exactly when it asked for none, whether or not the
 * case had a certificate to send. Undefined when the flight never went out.
 */
export function certificateRequested(outcome: Outcome): boolean | undefined {
  const flight = outcome.tls.client;
  if (!flight?.flightSent) return undefined;
  if (flight.certificate === 'not-requested') return false;
  if (flight.certificate === 'sent' || flight.certificate === 'not-sendable') return true;
  return (flight.sharedSigalgs?.length ?? 0) > 0;
}
