import type { Outcome } from '../probe/outcome.js';
import type { TargetKey } from '../target/target.js';
import { serverFingerprint, shortFingerprint, type ConnectionProbe } from './replica-spread.js';

/**
 * What the evidence keeps of each connection of a repeated probe (--repeat):
 * how it ended, and which server certificate answered it, so a reviewer sees
 * which backend accepted what the others refused.
 */
export interface ConnectionRecord {
  readonly kind: Outcome['kind'];
  readonly detail: string;
  readonly attempts: number;
  /** SHA-256 fingerprint of the server's certificate; absent when no handshake got that far. */
  readonly serverCertificate?: string;
}

export function connectionRecords(connections: readonly ConnectionProbe[]): ConnectionRecord[] {
  return connections.map(({ outcome, attempts }) => {
    const fingerprint = serverFingerprint(outcome);
    return { kind: outcome.kind, detail: outcome.detail, attempts, ...(fingerprint ? { serverCertificate: fingerprint } : {}) };
  });
}

/** "  Connection 2 of 3: accepted (HTTP 200), server certificate AB:CD…" lines; none for a single probe. */
export function connectionLines(connections: readonly ConnectionRecord[] | undefined): string[] {
  if (!connections || connections.length <= 1) return [];
  return connections.map((c, i) => `  Connection ${i + 1} of ${connections.length}: ${c.kind} (${c.detail}), server certificate ${c.serverCertificate ?? 'not seen'}`);
}

/** The records a backends notice reads: per scenario, its target and the control connections it holds. */
interface RecordWithControls {
  readonly protocol: TargetKey;
  readonly target: string;
  readonly control?: { readonly outcome: Outcome; readonly connections?: readonly ConnectionRecord[] };
  readonly controlAfter?: { readonly outcome: Outcome; readonly connections?: readonly ConnectionRecord[] };
}

/**
 * One line per target whose valid-credential connections were answered by
 * more than one server certificate: several backends behind one address,
 * each of which must be probed. Suggests --repeat when the run had none.
 */
export function backendsNotice(records: readonly RecordWithControls[], repeat: number): string[] {
  const seen = new Map<string, Set<string>>();
  for (const record of records) {
    const fingerprints = seen.get(record.target) ?? new Set<string>();
    for (const control of [record.control, record.controlAfter]) {
      if (!control) continue;
      const each = control.connections?.map((c) => c.serverCertificate) ?? [serverFingerprint(control.outcome)];
      for (const fingerprint of each) if (fingerprint) fingerprints.add(fingerprint);
    }
    seen.set(record.target, fingerprints);
  }
  return [...seen]
    .filter(([, fingerprints]) => fingerprints.size > 1)
    .map(([target, fingerprints]) => {
      const list = [...fingerprints].map(shortFingerprint).join(', ');
      const advice = repeat >= fingerprints.size
        ? `each case was probed on ${repeat} connections (--repeat ${repeat})`
        : repeat > 1
          ? `--repeat ${repeat} may not reach every one of them on each case: try --repeat ${fingerprints.size} or more`
          : `a single probe per case reaches one of them: --repeat ${fingerprints.size} probes each case on ${fingerprints.size} connections, so that each backend gets its turn`;
      return `mtlspec: ${target}: the valid credential was answered by ${fingerprints.size} different server certificates (${list}): several backends behind one address; ${advice}`;
    });
}
