import type { ServerCase, ServerCheckContext } from '../catalogue/case.js';
import type { Outcome } from '../probe/outcome.js';
import { judgeEchoedIdentity, echoFacts, type EchoFacts, type IdentityCheck } from './identity-echo.js';
import { serverFingerprint, shortFingerprint, type ConnectionProbe } from './replica-spread.js';
import { judgeServer, type JudgeOptions, type Verdict } from '../verdict/judge.js';

/**
 * Behind a balancer, what one connection shows is one backend's. Where a
 * verdict reads a property of the answer rather than accept-or-refuse (the
 * server's certificate, the identity the application names), each
 * connection of a --repeat probe is read, and the worst one decides.
 */

/** Worst first: a finding outweighs not knowing, which outweighs a pass. */
const severity: Readonly<Record<Verdict['status'], number>> = { failed: 5, warning: 4, inconclusive: 3, skipped: 2, info: 1, passed: 0 };

/** One outcome per server certificate seen on the probe's connections; the probe's own outcome without --repeat. */
function outcomesByServer(probe: { readonly outcome: Outcome; readonly connections?: readonly ConnectionProbe[] }): Outcome[] {
  const byCertificate = new Map<string, Outcome>();
  for (const { outcome } of probe.connections ?? [probe]) {
    const key = serverFingerprint(outcome) ?? 'none';
    if (!byCertificate.has(key)) byCertificate.set(key, outcome);
  }
  return [...byCertificate.values()];
}

/** A server case judged on every server certificate the control met: the worst decides, naming that backend when there were several. */
export function judgeServerOnEachBackend(
  testCase: ServerCase,
  control: { readonly outcome: Outcome; readonly connections?: readonly ConnectionProbe[] } | undefined,
  context: ServerCheckContext,
  options: JudgeOptions,
): Verdict {
  if (!control) return judgeServer(testCase, undefined, context, options);
  const outcomes = outcomesByServer(control);
  const judged = outcomes.map((outcome) => ({ outcome, verdict: judgeServer(testCase, outcome, { ...context, alpn: outcome.tls.alpn }, options) }));
  const worst = judged.reduce((a, b) => (severity[b.verdict.status] > severity[a.verdict.status] ? b : a));
  if (outcomes.length <= 1) return worst.verdict;
  const fingerprint = serverFingerprint(worst.outcome);
  const which = worst.verdict.status === 'passed' ? `on each of the ${outcomes.length} server certificates seen` : `on the backend whose certificate is ${fingerprint ? shortFingerprint(fingerprint) : 'unknown'} (one of ${outcomes.length} seen)`;
  return { ...worst.verdict, why: `${worst.verdict.why} ${which}` };
}

/**
 * The echoed identity of an identity case, read on every accepted
 * connection: the first that would fail the case, else the first that
 * cannot tell, else the first.
 */
export function echoOnEachBackend(
  check: IdentityCheck,
  presentedCertificate: boolean,
  probe: { readonly outcome: Outcome; readonly connections?: readonly ConnectionProbe[] },
  certPem: string | undefined,
  pattern: string | undefined,
): EchoFacts {
  const echoes = (probe.connections ?? [probe]).filter((c) => c.outcome.kind === 'accepted').map((c) => echoFacts(c.outcome, certPem, pattern));
  if (echoes.length === 0) return echoFacts(probe.outcome, certPem, pattern);
  const rank = (echo: EchoFacts): number => {
    const status = judgeEchoedIdentity(check, presentedCertificate, echo)?.status;
    return status === 'failed' ? 2 : status === 'inconclusive' ? 1 : 0;
  };
  return echoes.reduce((a, b) => (rank(b) > rank(a) ? b : a));
}
