import { createHash } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';

/**
 * What a report may say of a token: its header, its claims and a
 * fingerprint. Never the token itself: a valid one is a credential, and
 * reports and logs travel further than the run.
 */
export interface TokenEvidence {
  readonly header: Readonly<Record<string, unknown>> | undefined;
  readonly claims: Readonly<Record<string, unknown>> | undefined;
  /** "sha256:" and the first 16 hex digits of the compact token's SHA-256. */
  readonly fingerprint: string;
}

export function tokenFingerprint(compact: string): string {
  return `sha256:${createHash('sha256').update(compact).digest('hex').slice(0, 16)}`;
}

export function tokenEvidence(compact: string): TokenEvidence {
  return { header: readPart(() => decodeProtectedHeader(compact)), claims: readPart(() => decodeJwt(compact)), fingerprint: tokenFingerprint(compact) };
}

/** How an Authorization value shows in evidence: the scheme and the fingerprint, never the token. */
export function shownBearer(compact: string): string {
  return `Bearer <token ${tokenFingerprint(compact)}>`;
}

function readPart(read: () => object): Record<string, unknown> | undefined {
  try {
    return { ...read() } as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
