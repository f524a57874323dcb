import { compactVerify, createLocalJWKSet, decodeProtectedHeader, EmbeddedJWK, errors, type JSONWebKeySet } from 'jose';
import { certificateSha256 } from '../pki/certificate-hash.js';

/**
 * The built-in servers' token check (`--auth jwt`): RFC 6750 bearer
 * tokens, verified with jose against the issuer's JWKS, then the claims and
 * the RFC 8705 certificate binding checked one by one. Each flaw switches
 * off exactly one of those checks, so the harness can prove it notices each
 * one missing and nothing else.
 */
export type TokenFlaw =
  /** Accepts expired tokens. */
  | 'jwt-ignore-exp'
  /** Accepts unsigned tokens (alg none, in any case). */
  | 'jwt-accept-alg-none'
  /** Verifies HS256 tokens with the issuer's public key as the HMAC secret. */
  | 'jwt-alg-confusion'
  /** Accepts any audience. */
  | 'jwt-ignore-aud'
  /** Skips the certificate binding (cnf) altogether. */
  | 'jwt-ignore-cnf'
  /** Takes the thumbprint in hex as well as in base64url. */
  | 'jwt-hex-thumbprint'
  /** Verifies with a key the token's own header carries (jwk). */
  | 'jwt-trust-header-jwk';

export const allTokenFlaws: readonly TokenFlaw[] = [
  'jwt-ignore-exp', 'jwt-accept-alg-none', 'jwt-alg-confusion', 'jwt-ignore-aud', 'jwt-ignore-cnf', 'jwt-hex-thumbprint', 'jwt-trust-header-jwk',
];

export interface TokenPolicy {
  readonly jwks: JSONWebKeySet;
  /** The issuer's public key as SPKI PEM: only the alg-confusion flaw reads it. */
  readonly issuerPublicPem: string;
  readonly issuer: string;
  readonly audience: string;
  /** RFC 8705 3: tokens must carry cnf."x5t#S256" of the client's certificate. */
  readonly requireBinding: boolean;
  /** Leeway for exp, nbf and iat, seconds (clocks differ). */
  readonly skewSeconds: number;
  readonly flaws: readonly TokenFlaw[];
}

export type TokenDecision =
  | { readonly ok: true; readonly subject: string | undefined }
  /** RFC 6750 3.1: 400 invalid_request for a malformed request, 401 invalid_token for a bad token, 401 without an error for none. */
  | { readonly ok: false; readonly status: 400 | 401; readonly error: 'invalid_request' | 'invalid_token' | undefined; readonly description: string };

/** The b64token of RFC 6750 2.1, the only thing an Authorization: Bearer field may hold. */
const bearerField = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

export async function verifyBearer(authorization: string | undefined, presentedDer: Buffer | undefined, policy: TokenPolicy): Promise<TokenDecision> {
  if (authorization === undefined || authorization === '') return { ok: false, status: 401, error: undefined, description: 'a bearer token is required' };
  const field = bearerField.exec(authorization.trim());
  if (!field?.[1]) return refuse(400, 'invalid_request', 'the Authorization field must hold exactly one Bearer token');
  const token = field[1];
  let payload: Uint8Array;
  try {
    payload = await verifiedPayload(token, policy);
  } catch (error) {
    return refuse(401, 'invalid_token', reasonOf(error));
  }
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
  } catch {
    return refuse(401, 'invalid_token', 'the claims are not JSON');
  }
  const problem = claimsProblem(claims, policy) ?? bindingProblem(claims, presentedDer, policy);
  if (problem) return refuse(401, 'invalid_token', problem);
  return { ok: true, subject: typeof claims['sub'] === 'string' ? claims['sub'] : undefined };
}

function refuse(status: 400 | 401, error: 'invalid_request' | 'invalid_token', description: string): TokenDecision {
  return { ok: false, status, error, description };
}

/** The signature, by the issuer's key, unless a flaw lets some other key or none do. */
async function verifiedPayload(token: string, policy: TokenPolicy): Promise<Uint8Array> {
  const header = decodeProtectedHeader(token);
  const alg = typeof header.alg === 'string' ? header.alg : '';
  const flawed = (flaw: TokenFlaw): boolean => policy.flaws.includes(flaw);
  if (flawed('jwt-accept-alg-none') && alg.toLowerCase() === 'none') {
    const [, body = ''] = token.split('.');
    return Buffer.from(body, 'base64url');
  }
  if (flawed('jwt-alg-confusion') && alg === 'HS256') {
    return (await compactVerify(token, new TextEncoder().encode(policy.issuerPublicPem), { algorithms: ['HS256'] })).payload;
  }
  if (flawed('jwt-trust-header-jwk') && header.jwk !== undefined) {
    return (await compactVerify(token, EmbeddedJWK)).payload;
  }
  // The issuer's keys by kid, each with its own algorithm only (RFC 8725 3.1); jose refuses an unknown crit parameter (RFC 7515 4.1.11).
  const algorithms = [...new Set(policy.jwks.keys.map((key) => key.alg).filter((a): a is string => typeof a === 'string'))];
  return (await compactVerify(token, createLocalJWKSet(policy.jwks), { algorithms })).payload;
}

function claimsProblem(claims: Record<string, unknown>, policy: TokenPolicy): string | undefined {
  const now = Math.floor(Date.now() / 1000);
  const skew = policy.skewSeconds;
  const exp = claims['exp'];
  if (!policy.flaws.includes('jwt-ignore-exp')) {
    if (typeof exp !== 'number') return 'the token has no exp';
    if (exp <= now - skew) return 'the token has expired';
  }
  const nbf = claims['nbf'];
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + skew)) return 'the token is not valid yet (nbf)';
  const iat = claims['iat'];
  if (iat !== undefined && (typeof iat !== 'number' || iat > now + skew)) return 'the token was issued in the future (iat)';
  if (claims['iss'] !== policy.issuer) return 'the token is from another issuer';
  if (!policy.flaws.includes('jwt-ignore-aud')) {
    const aud = claims['aud'];
    const audiences = Array.isArray(aud) ? aud : [aud];
    if (!audiences.includes(policy.audience)) return 'the token is for another audience';
  }
  return undefined;
}

/** RFC 8705 3.1: cnf."x5t#S256" must be the base64url SHA-256 of the certificate this very connection presented. */
function bindingProblem(claims: Record<string, unknown>, presentedDer: Buffer | undefined, policy: TokenPolicy): string | undefined {
  if (!policy.requireBinding || policy.flaws.includes('jwt-ignore-cnf')) return undefined;
  const cnf = claims['cnf'];
  const thumbprint = typeof cnf === 'object' && cnf !== null ? (cnf as Record<string, unknown>)['x5t#S256'] : undefined;
  if (typeof thumbprint !== 'string') return 'the token is not bound to a certificate (no cnf x5t#S256)';
  if (!presentedDer) return 'the connection presented no certificate to bind the token to';
  const accepted = [certificateSha256(presentedDer), ...(policy.flaws.includes('jwt-hex-thumbprint') ? [certificateSha256(presentedDer, 'hex')] : [])];
  return accepted.includes(thumbprint) ? undefined : "the token is bound to another certificate than this connection's";
}

function reasonOf(error: unknown): string {
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey) return 'no key of the issuer has this kid';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the algorithm is not allowed';
  if (error instanceof errors.JOSENotSupported) return `not supported: ${error.message}`;
  if (error instanceof errors.JOSEError) return error.message;
  return 'the token is malformed';
}

/** RFC 6750 3: the challenge a refusal carries. */
export function bearerChallenge(decision: Extract<TokenDecision, { ok: false }>): string {
  const error = decision.error ? `, error="${decision.error}", error_description="${decision.description.replace(/"/g, "'")}"` : '';
  return `Bearer realm="mtlspec"${error}`;
}

export function isTokenFlaw(flaw: string): flaw is TokenFlaw {
  return (allTokenFlaws as readonly string[]).includes(flaw);
}
