import { X509Certificate } from 'node:crypto';
import type { Outcome } from '../probe/outcome.js';

/**
 * --repeat N: a case (and each control around it) probed on N fresh
 * connections, because behind a layer-4 balancer each connection may land on
 * another backend, and one backend out of three that accepts anybody is
 * missed two times in three by a single probe. This module reduces N
 * connections to the one outcome the verdict reads, and counts them.
 */

/** One connection of a repeated probe, as the evidence records it. */
export interface ConnectionProbe {
  readonly outcome: Outcome;
  /** Tries on this connection's turn: more than 1 when the target shed the first. */
  readonly attempts: number;
}

/** How a repeated probe's connections went: what the verdict's sentence needs. */
export interface ConnectionSpread {
  /** Connections asked for (--repeat). */
  readonly wanted: number;
  /** Connections made within the case's deadline. */
  readonly made: number;
  readonly accepted: number;
  readonly refused: number;
}

/** The smallest shape a repeated probe needs: CaseProbe (src/run/session.ts) has it. */
interface Probed {
  readonly outcome: Outcome;
  readonly attempts: number;
}

/**
 * The connection whose outcome decides, with every connection kept. A
 * negative case is only as good as its most lenient backend, so any
 * acceptance decides; a positive case or the control only as good as its
 * strictest, so any refusal decides. Then anything that said nothing
 * (unanswered, shed), which makes the verdict inconclusive. Connections cut
 * short by the deadline say nothing about the backends they did not reach:
 * unless one already decided, the result is "unanswered", never a pass.
 */
export function spreadProbe<P extends Probed>(probes: readonly P[], wanted: number, expect: 'accepted' | 'rejected' | 'observed'): P & { readonly connections: readonly ConnectionProbe[] } {
  const first = probes[0];
  if (!first) throw new Error('a repeated probe needs at least one connection');
  const connections = probes.map(({ outcome, attempts }) => ({ outcome, attempts }));
  const lenient = expect === 'accepted' ? 'rejected' : 'accepted';
  const deciding = probes.find((p) => p.outcome.kind === lenient) ?? probes.find((p) => p.outcome.kind === 'unreachable' || p.outcome.kind === 'shed');
  if (deciding) return { ...deciding, connections };
  if (probes.length < wanted) {
    const cut: Outcome = {
      kind: 'unreachable',
      reason: 'timeout',
      tls: first.outcome.tls,
      detail: `only ${probes.length} of the ${wanted} connections asked for (--repeat) were made within the case's deadline, so the backends behind the others were not seen`,
    };
    return { ...first, outcome: cut, connections };
  }
  return { ...first, connections };
}

/** The counts of a repeated probe's connections; undefined for a single probe. */
export function connectionSpread(connections: readonly ConnectionProbe[] | undefined, wanted: number): ConnectionSpread | undefined {
  if (!connections || wanted <= 1) return undefined;
  return {
    wanted,
    made: connections.length,
    accepted: connections.filter((c) => c.outcome.kind === 'accepted').length,
    refused: connections.filter((c) => c.outcome.kind === 'rejected').length,
  };
}

/**
 * The verdict's sentence when the connections disagree with the case:
 * "accepted on 1 of 3 connections: a backend behind the balancer does not
 * enforce this". Undefined when there was only one connection.
 */
export function spreadFailure(spread: ConnectionSpread | undefined, expect: 'accepted' | 'rejected' | 'observed', detail: string): string | undefined {
  if (!spread || spread.made <= 1) return undefined;
  if (expect === 'rejected') {
    if (spread.accepted >= spread.made) return `the target accepted a connection it must refuse, on all ${spread.made} connections (${detail})`;
    return `accepted on ${spread.accepted} of ${spread.made} connections: a backend behind the balancer does not enforce this (${detail})`;
  }
  if (expect === 'accepted' && spread.refused < spread.made) {
    return `refused on ${spread.refused} of ${spread.made} connections: a backend behind the balancer refuses what the others accept (${detail})`;
  }
  return undefined;
}

const fingerprints = new Map<string, string>();

/** The SHA-256 fingerprint of the server certificate that answered (memoized: the same few backends answer every probe). */
export function serverFingerprint(outcome: Outcome): string | undefined {
  const pem = outcome.tls.server?.certificatePem;
  if (!pem) return undefined;
  let fingerprint = fingerprints.get(pem);
  if (fingerprint === undefined) {
    try {
      fingerprint = new X509Certificate(pem).fingerprint256;
    } catch {
      // A certificate Node cannot parse still answered: say so rather than guess.
      fingerprint = 'unparsable certificate';
    }
    fingerprints.set(pem, fingerprint);
  }
  return fingerprint;
}

/** "AB:CD:EF:01…": enough of a fingerprint to tell a handful of backends apart in one line. */
export function shortFingerprint(fingerprint: string): string {
  return fingerprint.length > 24 ? `${fingerprint.slice(0, 23)}…` : fingerprint;
}


/** After the preflight's failure line, with --repeat: when only some connections failed, it is one backend, not the credential. */
export function controlSpreadNote(connections: readonly ConnectionProbe[] | undefined): string {
  if (!connections || connections.length <= 1) return '';
  const accepted = connections.filter((c) => c.outcome.kind === 'accepted').length;
  if (accepted === 0 || accepted === connections.length) return '';
  return `; the other ${accepted} of ${connections.length} connections were accepted: a backend behind the balancer refuses what the others accept`;
}
