import type { SecureVersion } from 'node:tls';
import type { LeafTemplate, TemplateContext } from '../pki/template.js';

/**
 * One case of `mtlspec client`, as data: the server credential mtlspec
 * presents to the client under test, and what a correct client does with it.
 * The mirror of a ClientCase (src/catalogue/case.ts): there a defective
 * client credential meets the server under test; here a defective server
 * credential meets the client under test. fixtures/client-cases.ts holds the
 * rows; features/clients/ names each in an Examples line.
 */
export interface ServerCredentialCase {
  /** Stable, path-like id, selectable with --case: "client/validity/expired". */
  readonly id: string;
  readonly title: string;
  /** The rule a correct client follows, as a citation. */
  readonly rule: string;
  /** MUST fails the run; SHOULD warns unless --strict; INFO is recorded, never judged. */
  readonly level: 'MUST' | 'SHOULD' | 'INFO';
  /**
   * refused: a correct client sends no application data over this server
   * credential; accepted: it does (the control); observed: INFO only.
   */
  readonly expect: 'accepted' | 'refused' | 'observed';
  /** Alerts a client may send for this refusal (the SHOULD tier); empty: none checked. */
  readonly expectedAlerts: readonly string[];
  /** The server leaf: the valid one, or the valid template with one defect. */
  readonly server: ServerCredentialSpec;
  /** Restricts the TLS versions the hostile server offers. */
  readonly tlsVersions?: { min?: SecureVersion; max?: SecureVersion };
  /** The case means something only when the run knows this (skipped with the reason otherwise). */
  readonly requires?: readonly ClientKnowledge[];
  /** How another profile (--profile) judges the case, where it differs: the level it gets. */
  readonly underProfile?: Readonly<Record<string, 'INFO'>>;
}

export type ServerCredentialSpec =
  | { readonly kind: 'valid' }
  | { readonly kind: 'defect'; readonly apply: (valid: LeafTemplate, context: ServerTemplateContext) => LeafTemplate };

/** What a server defect may need to know: the run's instant, and the name the client asks for. */
export interface ServerTemplateContext extends TemplateContext {
  /** The host name the client is told to connect to (its SNI and the name it must check). */
  readonly hostName: string;
}

/**
 * Facts about the client under test that mtlspec cannot discover: the
 * SPIFFE ID it authorizes for its server (--server-spiffe-id).
 */
export type ClientKnowledge = 'server-spiffe-id';

/** The id of the control case: the valid server credential, which every other case is read against. */
export const controlCaseId = 'client/valid';

/** The case as the run's profile judges it: an INFO override records what the client did, and judges nothing. */
export function underClientProfile(testCase: ServerCredentialCase, profile: string): ServerCredentialCase {
  return testCase.underProfile?.[profile] === 'INFO' ? { ...testCase, level: 'INFO', expect: 'observed', expectedAlerts: [] } : testCase;
}

/** The SNI label that selects a case in --listen mode: "client/validity/expired" is "validity-expired". */
export function sniLabel(caseId: string): string {
  return caseId.replace(/^client\//, '').replace(/[^A-Za-z0-9]+/g, '-').toLowerCase();
}
