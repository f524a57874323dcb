import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startAttackerKeyServer, type AttackerKeyServer } from './attacker-key-server.js';
import { signingKeyFromPem, type SigningKey } from './keys.js';
import type { AttackerKey, GivenToken } from './mint.js';
import { numericDate, type TokenContext, type TokenTemplate } from './template.js';

/** The issuer, audience and extra claims every minted token carries. */
export interface TokenClaimsSettings {
  readonly issuer?: string;
  readonly audience?: string;
  /** --jwt-claims: claims the target needs beyond these (a scope, a tenant). */
  readonly extraClaims?: Readonly<Record<string, unknown>>;
  /** The sub claim: the run's client identity. */
  readonly subject: string;
}

/** How long a minted token is valid, and how far back its iat and nbf lie (clocks differ). */
const lifetimeSeconds = 600;
const backdateSeconds = 60;

/**
 * One run's token material: the issuer's key (or the token the user gave),
 * the attacker's key and the loopback server that publishes it, and the
 * valid token every case starts from.
 */
export class TokenKit {
  private constructor(
    readonly issuer: SigningKey | undefined,
    readonly given: GivenToken | undefined,
    readonly attacker: AttackerKey,
    readonly keyServer: AttackerKeyServer,
    private readonly claims: TokenClaimsSettings,
  ) {}

  /** `attackerCredential`: a self-signed certificate and its key, minted by the run: the attacker signs with that key, and x5u names that certificate. */
  static async create(source: { issuer: SigningKey } | { given: string }, attackerCredential: { certPem: string; keyPem: string }, claims: TokenClaimsSettings): Promise<TokenKit> {
    const attacker = { key: await signingKeyFromPem(attackerCredential.keyPem, 'attacker'), certPem: attackerCredential.certPem };
    const keyServer = await startAttackerKeyServer(attacker);
    const given = 'given' in source ? splitGivenToken(source.given) : undefined;
    return new TokenKit('issuer' in source ? source.issuer : undefined, given, attacker, keyServer, claims);
  }

  /** The valid token as data: a fresh one bound to the presented certificate, or the given token as it is. */
  validTemplate(context: TokenContext): TokenTemplate {
    if (this.given) return { header: this.given.header, claims: this.given.claims, signer: 'given', binding: { to: 'as-given', encoding: 'base64url' } };
    const issuer = this.issuer;
    if (!issuer) throw new Error('a token kit with neither an issuer key nor a given token');
    const now = numericDate(context.now);
    return {
      header: { alg: issuer.alg, typ: 'JWT', kid: issuer.kid },
      claims: {
        sub: this.claims.subject,
        ...this.claims.extraClaims,
        ...(this.claims.issuer !== undefined ? { iss: this.claims.issuer } : {}),
        ...(this.claims.audience !== undefined ? { aud: this.claims.audience } : {}),
        iat: now - backdateSeconds,
        nbf: now - backdateSeconds,
        exp: now + lifetimeSeconds,
        jti: randomUUID(),
      },
      signer: 'issuer',
      binding: { to: 'presented', encoding: 'base64url' },
    };
  }

  close(): Promise<void> {
    return this.keyServer.close();
  }
}

export class GivenTokenError extends Error {}

/** A JWS in compact form, decoded for what cases may reuse; anything else is refused before the run. */
export function splitGivenToken(compact: string): GivenToken {
  const token = compact.trim().replace(/^Bearer\s+/i, '');
  try {
    return { compact: token, header: { ...decodeProtectedHeader(token) }, claims: { ...decodeJwt(token) } };
  } catch {
    // Never quote the token: it is a credential.
    throw new GivenTokenError('is not a JWT in compact form (header.claims.signature, base64url)');
  }
}
