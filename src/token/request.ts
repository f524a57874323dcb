import type { RequestHeader } from '../probe/request-headers.js';
import { shownBearer, tokenEvidence, type TokenEvidence } from './evidence.js';
import type { TokenKit } from './kit.js';
import { mintToken, type MintInputs } from './mint.js';
import type { TokenContext, TokenSpec, TokenTemplate } from './template.js';

/** What a probe sends for its token, and what the evidence may say of it. */
export interface TokenRequest {
  readonly headers: readonly RequestHeader[];
  readonly evidence: readonly TokenEvidence[];
}

/** The template a spec makes from the run's valid token; undefined for "no token". */
export function tokenTemplateOf(spec: TokenSpec, kit: TokenKit, context: TokenContext): TokenTemplate | undefined {
  if (spec.kind === 'none') return undefined;
  const valid = kit.validTemplate(context);
  return spec.kind === 'valid' ? valid : spec.apply(valid, context);
}

/** Mints the case's token (a fresh one per probe: tokens expire) and the Authorization fields that carry it. */
export async function tokenRequest(spec: TokenSpec, kit: TokenKit, inputs: Omit<MintInputs, 'issuer' | 'attacker' | 'given' | 'attackerUrls'>, context: TokenContext): Promise<TokenRequest> {
  const template = tokenTemplateOf(spec, kit, context);
  if (!template) return { headers: [], evidence: [] };
  const minted = await mintToken(template, { ...inputs, issuer: kit.issuer, attacker: kit.attacker, given: kit.given, attackerUrls: kit.keyServer.urls });
  const tokens = [minted.compact, ...(minted.second !== undefined ? [minted.second] : [])];
  return {
    headers: tokens.map((compact) => ({ name: 'Authorization', value: `Bearer ${compact}`, shown: shownBearer(compact) })),
    evidence: tokens.map(tokenEvidence),
  };
}

/**
 * Why a template cannot be minted in this run, told before anything is
 * probed: a change to a given token needs the issuer's key, and so does the
 * algorithm-confusion attack. Bindings to other certificates are the
 * session's to check (it knows what it can issue).
 */
export function tokenUnavailableReason(template: TokenTemplate, kit: TokenKit, context: TokenContext): string | undefined {
  const parts: Array<Omit<TokenTemplate, 'secondToken'>> = [template, ...(template.secondToken ? [template.secondToken] : [])];
  for (const part of parts) {
    if ((part.signer === 'issuer' || part.signer === 'hmac-with-issuer-public-key') && !kit.issuer) {
      return 'needs --jwt-key: this token must be made with the issuer\'s key, and only a ready token (--token) was given';
    }
    if (part.signer === 'given') {
      const valid = kit.validTemplate(context);
      const changed = JSON.stringify([part.header, part.claims, part.binding]) !== JSON.stringify([valid.header, valid.claims, valid.binding]);
      if (changed) return 'needs --jwt-key: this token changes the given one, which only the issuer\'s key can sign again';
    }
  }
  return undefined;
}
