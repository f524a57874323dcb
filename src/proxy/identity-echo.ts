import { X509Certificate } from 'node:crypto';
import type { Outcome } from '../probe/outcome.js';
import type { ForgeWay, IdentityHeaderFamily } from './identity-headers.js';
import { forgedName } from './identity-headers.js';

/**
 * Cases about the identity the application ends up with, read from its
 * answer: behind a balancer it must be the certificate presented (the TLS
 * connection went through untouched); behind a TLS-terminating proxy, a
 * forged identity header must not replace it.
 */
export type IdentityCheck =
  /** The answer must name the identity of the certificate presented. */
  | { readonly kind: 'echo-presented' }
  /** Forged identity headers are sent; the answer must not name the forged identity. */
  | { readonly kind: 'forged'; readonly family: IdentityHeaderFamily; readonly way: ForgeWay };

/** What the answer says about who called, next to who did. */
export interface EchoFacts {
  /** The identity the answer names, found with the echo pattern; undefined when nothing matched. */
  readonly echoed: string | undefined;
  /** The pattern (--identity-echo, or the built-in servers' JSON); undefined: none known for this target. */
  readonly pattern: string | undefined;
  /** The presented certificate's identities: its URI SANs and its subject's CN. */
  readonly presented: readonly string[];
}

/** The built-in HTTP/2 server answers /hello with {"client":{"subject":...,"spiffeId":...}}. */
export const referenceEchoPattern = '"spiffeId":"([^"]*)"';

export function echoFacts(outcome: Outcome | undefined, certPem: string | undefined, pattern: string | undefined): EchoFacts {
  const body = outcome && outcome.kind !== 'unreachable' ? outcome.app?.bodyExcerpt : undefined;
  const match = pattern && body !== undefined ? new RegExp(pattern).exec(body) : null;
  const echoed = match ? (match[1] ?? match[0]) : undefined;
  return { echoed, pattern, presented: certPem ? identitiesOf(certPem) : [] };
}

function identitiesOf(certPem: string): string[] {
  try {
    const cert = new X509Certificate(certPem);
    const uris = (cert.subjectAltName ?? '').split(', ').filter((s) => s.startsWith('URI:')).map((s) => s.slice(4));
    const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
    return [...uris, ...(cn ? [cn] : [])];
  } catch {
    return [];
  }
}

export interface IdentityJudgement {
  readonly status: 'passed' | 'failed' | 'inconclusive';
  readonly why: string;
}

/**
 * An accepted answer to an identity case, judged on the identity it names.
 * Undefined when the identity says nothing the ordinary judgement does not:
 * a forged header sent without any certificate and an answer that names no
 * one is an acceptance without a certificate, judged as such.
 */
export function judgeEchoedIdentity(check: IdentityCheck, presentedCertificate: boolean, echo: EchoFacts | undefined): IdentityJudgement | undefined {
  const echoed = echo?.echoed;
  const where = echo?.pattern ? `nothing in it matches /${echo.pattern}/` : 'no --identity-echo says where it names the caller';
  const isForged = echoed !== undefined && echoed.includes(forgedName);
  const isPresented = echoed !== undefined && echoed !== '' && (echo?.presented ?? []).some((id) => echoed.includes(id));
  if (check.kind === 'echo-presented') {
    if (echoed === undefined) return { status: 'inconclusive', why: `accepted, but the answer names no caller (${where}), so the identity that reached the application cannot be compared` };
    if (isPresented) return { status: 'passed', why: `the application names the caller ${echoed}, the identity of the certificate presented` };
    return { status: 'failed', why: `the application names the caller "${echoed}", not the certificate presented (${(echo?.presented ?? []).join(', ')}): the client's identity did not reach it intact` };
  }
  if (isForged) return { status: 'failed', why: `the application answered as "${echoed}", the identity the forged header claimed: it believed a header the client wrote` };
  if (!presentedCertificate) return undefined;
  if (isPresented) return { status: 'passed', why: `accepted, answering as ${echoed}: the identity of the certificate presented, not the forged header's` };
  if (echoed === undefined) return { status: 'inconclusive', why: `accepted, but the answer names no caller (${where}), so whether it believed the forged header cannot be told` };
  return { status: 'inconclusive', why: `accepted, answering as "${echoed}", which is neither the certificate presented nor the forged identity` };
}

/** What is wrong with an --identity-echo pattern, if anything. */
export function echoPatternProblem(source: string): string | undefined {
  if (source === '') return 'it is empty';
  try {
    new RegExp(source);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message.replace(/^Invalid regular expression: /, '') : String(error);
  }
}
