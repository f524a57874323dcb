import type { Validity } from './authority.js';
import type { LeafTemplate } from './template.js';

const minute = 60_000;

/**
 * How long what mtlspec mints under a user's CA (--ca-cert/--ca-key) stays
 * valid. Such a CA is often one the user's real servers trust, so a leftover
 * client certificate it signed, with its key, would be a live credential:
 * each one is valid only around its run, not for the week a test PKI's
 * leaves get. The built-in servers' PKI is thrown away with the run and
 * keeps its longer, skew-proof validity.
 */
export const userCaLifetime = {
  /** notBefore this far back: the harness's and the target's clocks may differ by this much. */
  backdateMs: 5 * minute,
  /** notAfter at most this far after the certificate is made. */
  lifetimeMs: 60 * minute,
  /**
   * A not-yet-valid leaf cannot start "tomorrow" and still end within the
   * hour: it starts this long before the hour is up, 50 minutes ahead, which
   * no plausible clock skew brings into the present.
   */
  notYetValidSpanMs: 10 * minute,
  /**
   * A CA below the user's is made again once less than this is left of it,
   * so that a probe late in a long run never meets an expired issuer (which
   * would make a server refuse for the wrong reason: a false pass). More
   * than the longest probe (--timeout is at most 2 minutes) plus skew.
   */
  renewBeforeMs: 10 * minute,
} as const;

/**
 * The template with its validity moved inside [at - backdate, at + lifetime],
 * keeping what a validity case tests: an expired leaf stays expired (its
 * window is already in the past, so it is kept as it is), a not-yet-valid one
 * still starts in the future, a short-lived one (expires-soon: 5 minutes) is
 * already inside the bounds.
 */
export function capLeafValidity(template: LeafTemplate, at: Date): LeafTemplate {
  const now = at.getTime();
  const ceiling = now + userCaLifetime.lifetimeMs;
  const { notBefore, notAfter } = template;
  if (notAfter.getTime() <= now) return template;
  if (notBefore.getTime() > now) {
    if (notAfter.getTime() <= ceiling) return template;
    return { ...template, notBefore: new Date(Math.min(notBefore.getTime(), ceiling - userCaLifetime.notYetValidSpanMs)), notAfter: new Date(ceiling) };
  }
  return {
    ...template,
    notBefore: new Date(Math.max(notBefore.getTime(), now - userCaLifetime.backdateMs)),
    notAfter: new Date(Math.min(notAfter.getTime(), ceiling)),
  };
}

/** The validity of a CA made at `at` under a user's CA. */
export function cappedCaValidity(at: Date): Validity {
  return { notBefore: new Date(at.getTime() - userCaLifetime.backdateMs), notAfter: new Date(at.getTime() + userCaLifetime.lifetimeMs) };
}
