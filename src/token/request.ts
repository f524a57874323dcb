import type { RequestHeader } from '../probe/request-headers.js';
import { shownBearer, tokenEvidence, type TokenEvidence } from './evidence.js';
import type { TokenKit } from './kit.js';
import { changesGivenToken, mintToken, type MintInputs } from './mint.js';
import type { TokenBinding, TokenContext, TokenSpec, TokenTemplate } from './template.js';

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
 * algorithm-confusion attack. Whether the certificate a binding names can
 * be had is the caller's to say (`bindingProblem`: the session knows what it can issue).
 */
export function tokenUnavailableReason(template: TokenTemplate, kit: TokenKit, bindingProblem: (to: TokenBinding['to']) => string | undefined): string | undefined {
  const parts: Array<Omit<TokenTemplate, 'secondToken'>> = [template, ...(template.secondToken ? [template.secondToken] : [])];
  for (const part of parts) {
    if ((part.signer === 'issuer' || part.signer === 'hmac-with-issuer-public-key') && !kit.issuer) {
      return 'needs --jwt-key: this token must be made with the issuer\'s key, and only a ready token (--token) was given';
    }
    if (part.signer === 'given' && kit.given && changesGivenToken(part, kit.given)) {
      return 'needs --jwt-key: this token changes the given one, which only the issuer\'s key can sign again';
    }
    const binding = bindingProblem(part.binding.to);
    if (binding) return binding;
  }
  return undefined;
}
