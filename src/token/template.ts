/**
 * A bearer token as data, the way a certificate is a LeafTemplate: a case
 * takes the valid token's template and changes one thing. Minting (mint.ts)
 * turns a template into the compact JWS the probe sends.
 */

/** Who signs the token, and how. */
export type TokenSigner =
  /** The issuer's key, with the issuer's algorithm: a genuine token. */
  | 'issuer'
  /** A key of the attacker's own, made for the run (its public half may ride in the header: jwk, jku, x5u). */
  | 'attacker'
  /** No signature at all: the header's alg ("none", "None") and an empty third part (RFC 7519 6). */
  | 'unsigned'
  /** HS256 keyed with the issuer's public key (as PEM text): the algorithm-confusion attack (RFC 8725 2.1). */
  | 'hmac-with-issuer-public-key'
  /** The token the user gave (--token), sent exactly as given: it can be re-sent, never re-signed. */
  | 'given';

/** Which certificate cnf."x5t#S256" names (RFC 8705 3.1), and how the thumbprint is written. */
export interface TokenBinding {
  readonly to:
    /** The certificate this probe presents: a correctly bound token. */
    | 'presented'
    /** The certificate another case presents (a second valid client): a token bound to someone else. */
    | { readonly credentialOf: string }
    /** The certificate that issued the presented leaf (an intermediate or the CA). */
    | 'issuer-of-presented'
    /** No cnf claim at all. */
    | 'none'
    /** Whatever the given token carries (--token): left as it is. */
    | 'as-given';
  /** base64url, as RFC 8705 3.1 requires; hex is the mistake some verifiers accept. */
  readonly encoding: 'base64url' | 'hex';
}

export interface TokenTemplate {
  /** The JOSE header, alg included (mint.ts sets it for the issuer's and attacker's keys). */
  readonly header: Readonly<Record<string, unknown>>;
  /** The claims, times as NumericDate seconds; cnf is added from `binding`. */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly signer: TokenSigner;
  readonly binding: TokenBinding;
  /** Where the attacker's public key goes, when the attacker signs: in the header as jwk, or behind a jku or x5u URL. */
  readonly attackerKeyIn?: 'jwk' | 'jku' | 'x5u';
  /** Flip a bit of the signature after signing: a token whose signature does not verify. */
  readonly tamperSignature?: boolean;
  /**
   * A second Authorization field, after the first, carrying the token minted
   * from this template (RFC 6750 2.1 allows one credential per request).
   */
  readonly secondToken?: Omit<TokenTemplate, 'secondToken'>;
}

export interface TokenContext {
  readonly now: Date;
}

/** How a case's request carries a token: the run's valid one, none at all, or the valid one with one change. */
export type TokenSpec =
  | { readonly kind: 'valid' }
  | { readonly kind: 'none' }
  | { readonly kind: 'defect'; readonly apply: (valid: TokenTemplate, context: TokenContext) => TokenTemplate };

/** NumericDate (RFC 7519 2): seconds since the epoch. */
export function numericDate(date: Date, offsetSeconds = 0): number {
  return Math.floor(date.getTime() / 1000) + offsetSeconds;
}
