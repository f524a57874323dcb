import type { SecureVersion } from 'node:tls';
import type { LeafTemplate, TemplateContext } from '../pki/template.js';

/**
 * One conformance case: a client credential (valid, absent, or a valid one
 * with a single named defect), how the client connects, and what a correct
 * server must do. Cases are data; fixtures/cases.ts holds the catalogue.
 */
export interface ConformanceCase {
  /** Stable, path-like id, selectable on the command line: "x509/validity/expired". */
  readonly id: string;
  readonly title: string;
  /** The rule it checks, as a citation: "RFC 5280 4.1.2.5". */
  readonly rule: string;
  /** MUST cases fail the run; SHOULD and INFO cases are reported apart. */
  readonly level: 'MUST' | 'SHOULD' | 'INFO';
  readonly expect: 'accepted' | 'rejected';
  /** Alerts a server may legitimately send for this refusal (the SHOULD tier). */
  readonly expectedAlerts: readonly string[];
  readonly credential: CredentialSpec;
  /** Restricts the TLS versions the client offers. */
  readonly tlsVersions?: { min?: SecureVersion; max?: SecureVersion };
  /** What the run must know about the target for the case to mean anything. */
  readonly requires?: readonly TargetKnowledge[];
}

/**
 * Facts about a target's policy that the harness cannot discover: a case that
 * depends on one is skipped, with the reason, unless the run declares it.
 */
export type TargetKnowledge =
  /** The target authorizes clients by SPIFFE ID, and the run named the allowed ID (--spiffe-id). */
  'spiffe-authorization';

export type CredentialSpec =
  /** Present no certificate at all. */
  | { kind: 'none' }
  /** Present the run's valid client credential, unchanged. */
  | { kind: 'valid' }
  /** Present a leaf minted from the valid template with one defect applied. */
  | { kind: 'defect'; apply: (valid: LeafTemplate, context: TemplateContext) => LeafTemplate };

/** A catalogue lookup that explains itself when the id is unknown. */
export function findCase(catalogue: readonly ConformanceCase[], id: string): ConformanceCase {
  const found = catalogue.find((c) => c.id === id);
  if (!found) {
    throw new Error(`unknown case "${id}"; known cases: ${catalogue.map((c) => c.id).join(', ')}`);
  }
  return found;
}
