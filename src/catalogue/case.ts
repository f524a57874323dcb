import type { SecureVersion } from 'node:tls';
import type { LeafTemplate, TemplateContext } from '../pki/template.js';
import type { ServerFacts } from '../probe/outcome.js';
import type { Protocol } from '../target/target.js';
import type { TokenSpec } from '../token/template.js';
import type { IdentityCheck } from '../proxy/identity-echo.js';

/**
 * One conformance case, as data. fixtures/cases.ts holds the catalogue; a
 * feature file names each case by id in one Examples line per protocol.
 *
 * Two kinds: a client case presents a credential (valid, absent, or valid
 * with one named defect) and says what a correct server does with it; a
 * server case checks the target's own certificate, as the control probe saw it.
 */
export type ConformanceCase = ClientCase | ServerCase;

interface CaseBase {
  /** Stable, path-like id, selectable on the command line: "x509/validity/expired". */
  readonly id: string;
  readonly title: string;
  /** The rule it checks, as a citation: "RFC 5280 4.1.2.5". */
  readonly rule: string;
  /**
   * MUST: a failure fails the run. SHOULD: a failure is a warning, unless
   * --strict. INFO: observed and reported, never judged.
   */
  readonly level: 'MUST' | 'SHOULD' | 'INFO';
  /** What the run must know about the target for the case to mean anything. */
  readonly requires?: readonly TargetKnowledge[];
}

export interface ClientCase extends CaseBase {
  readonly kind: 'client';
  /** 'observed': INFO cases only, which record what the server did without an expectation. */
  readonly expect: 'accepted' | 'rejected' | 'observed';
  /** Alerts a server may legitimately send for this refusal (the SHOULD tier); empty: none checked. */
  readonly expectedAlerts: readonly string[];
  /**
   * Application refusals that are as right as those alerts, for cases refused
   * by authorization rather than verification: "HTTP 403", "gRPC PERMISSION_DENIED".
   */
  readonly expectedAppRefusals?: readonly string[];
  readonly credential: CredentialSpec;
  /** Restricts the TLS versions the client offers. */
  readonly tlsVersions?: { min?: SecureVersion; max?: SecureVersion };
  /** OpenSSL cipher string for the client, when the case needs what the default forbids (TLS 1.0). */
  readonly clientCiphers?: string;
  /**
   * A token case: the bearer token the request carries (RFC 6750), next to
   * the credential. Token cases run on targets that take tokens; there,
   * every other case carries the run's valid token.
   */
  readonly token?: TokenSpec;
  /** Behind balancers and proxies: the identity the answer must name, or the forged identity header sent (src/proxy/identity-echo.ts). */
  readonly identity?: IdentityCheck;
}

export interface ServerCase extends CaseBase {
  readonly kind: 'server';
  /** Returns what is wrong with the server's certificate, or undefined when it satisfies the rule. */
  readonly check: (server: ServerFacts, context: ServerCheckContext) => string | undefined;
}

export interface ServerCheckContext {
  readonly now: Date;
  readonly protocol: Protocol;
  /** The SPIFFE ID the server must present (--server-spiffe-id), when known. */
  readonly serverSpiffeId: string | undefined;
  /** The ALPN protocol the server chose, for protocol checks. */
  readonly alpn: string | false | undefined;
}

export type CredentialSpec =
  /** Present no certificate at all. */
  | { kind: 'none' }
  /** Present the run's valid client credential, unchanged. */
  | { kind: 'valid' }
  /** Present a leaf minted from the valid template with one defect applied. */
  | { kind: 'defect'; apply: (valid: LeafTemplate, context: TemplateContext) => LeafTemplate };

/**
 * Facts about a target's policy that the harness cannot discover: a case that
 * depends on one is skipped, with the reason, unless the run declares it.
 */
export type TargetKnowledge =
  /** The target authorizes clients by SPIFFE ID, and the run named the allowed ID (--spiffe-id). */
  | 'spiffe-authorization'
  /** The target loaded the CRL of its client CA that this harness wrote (--target-has-crl). */
  | 'crl-loaded'
  /** The run named the SPIFFE ID the server must present (--server-spiffe-id). */
  | 'server-spiffe-id'
  /** The run knows the issuer the target trusts (--jwt-iss). */
  | 'jwt-issuer'
  /** The run knows the audience the target expects (--jwt-aud). */
  | 'jwt-audience'
  /** The target requires certificate-bound tokens, RFC 8705 3 (--jwt-bound). */
  | 'certificate-bound-tokens'
  /** The target can reach this machine's loopback, where the attacker's key is served for jku and x5u. */
  | 'attacker-key-urls-reachable';

/**
 * Whether a refusal before the client's certificate went out can be this
 * case's verdict. Only for protocol cases (a TLS version or cipher the client
 * offers), which the server judges from the ClientHello; every other case is
 * about the certificate, which the server cannot judge before it has it.
 */
export function refusalMayPrecedeCertificate(testCase: ClientCase): boolean {
  return testCase.tlsVersions !== undefined || testCase.clientCiphers !== undefined;
}

/** A catalogue lookup that explains itself when the id is unknown. */
export function findCase(catalogue: readonly ConformanceCase[], id: string): ConformanceCase {
  const found = catalogue.find((c) => c.id === id);
  if (!found) {
    throw new Error(`unknown case "${id}"; known cases: ${catalogue.map((c) => c.id).join(', ')}`);
  }
  return found;
}

export function findClientCase(catalogue: readonly ConformanceCase[], id: string): ClientCase {
  const found = findCase(catalogue, id);
  if (found.kind !== 'client') throw new Error(`case "${id}" checks the server's certificate; it presents no client credential`);
  return found;
}

/**
 * Cases selected the way h2spec selects tests: an exact id, or a prefix that
 * ends at a "/" boundary ("x509/validity" selects both validity cases).
 */
export function selectCases<C extends { readonly id: string }>(catalogue: readonly C[], selectors: readonly string[]): C[] {
  return catalogue.filter((c) => selectors.some((s) => c.id === s || c.id.startsWith(`${s.replace(/\/$/, '')}/`)));
}
