import type { KeyObject } from 'node:crypto';
import { certificateSha256 } from '../pki/certificate-hash.js';
import { base64url, CompactSign, type CompactJWSHeaderParameters } from 'jose';
import type { SigningKey } from './keys.js';
import type { TokenBinding, TokenTemplate } from './template.js';

/** The attacker's key and where the run serves its public half (jku, x5u). */
export interface AttackerKey {
  readonly key: SigningKey;
  /** A self-signed certificate of that key, PEM: what x5u points at. */
  readonly certPem: string;
}

/** Everything minting needs beyond the template: keys, and the certificates a binding may name. */
export interface MintInputs {
  /** The issuer's key; undefined when the run has only a given token. */
  readonly issuer: SigningKey | undefined;
  readonly attacker: AttackerKey;
  /** The token given with --token / --token-file, when that is the run's valid token. */
  readonly given: GivenToken | undefined;
  /** URLs that serve the attacker's JWKS and certificate (jku, x5u). */
  readonly attackerUrls: { readonly jwks: string; readonly certificate: string };
  /** DER of the certificate this probe presents, and of its issuer. */
  readonly presentedDer: Buffer | undefined;
  readonly issuerOfPresentedDer: Buffer | undefined;
  /** DER of the certificate another case presents (the binding's credentialOf). */
  readonly credentialDerOf: (caseId: string) => Promise<Buffer | undefined>;
}

/** A user's token, split: what the run may re-send and what a case may change (and then only re-sign with the issuer key). */
export interface GivenToken {
  readonly compact: string;
  readonly header: Readonly<Record<string, unknown>>;
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Why this template cannot be minted in this run; undefined when it can. */
export class TokenMintError extends Error {}

/** The compact JWS of a template (and of its second token), or a TokenMintError saying what the run lacks. */
export async function mintToken(template: TokenTemplate, inputs: MintInputs): Promise<{ compact: string; second?: string }> {
  const compact = await mintOne(template, inputs);
  if (!template.secondToken) return { compact };
  return { compact, second: await mintOne(template.secondToken, inputs) };
}

/** Whether a template changes the given token in any way but its signature: then only the issuer's key could sign it again. */
export function changesGivenToken(template: Omit<TokenTemplate, 'secondToken'>, given: GivenToken): boolean {
  return template.binding.to !== 'as-given' || !sameJson(template.header, given.header) || !sameJson(template.claims, given.claims);
}

async function mintOne(template: Omit<TokenTemplate, 'secondToken'>, inputs: MintInputs): Promise<string> {
  if (template.signer === 'given') {
    const given = inputs.given;
    if (!given) throw new Error('a given-token template in a run without --token');
    if (changesGivenToken(template, given)) {
      throw new TokenMintError('needs --jwt-key: this token must be signed again by the issuer after a change, and only a ready token was given');
    }
    return template.tamperSignature ? tamper(given.compact) : given.compact;
  }
  const claims = await withBinding(template.claims, template.binding, inputs);
  const header = headerFor(template, inputs);
  switch (template.signer) {
    case 'unsigned':
      return `${encodePart(header)}.${encodePart(claims)}.`;
    case 'hmac-with-issuer-public-key': {
      if (!inputs.issuer) throw new TokenMintError("needs --jwt-key: the attack signs with the issuer's public key, which a ready token does not carry");
      return sign(header, claims, { hmacSecret: inputs.issuer.publicPem }, template.tamperSignature);
    }
    case 'attacker':
      return sign(header, claims, { key: inputs.attacker.key.privateKey }, template.tamperSignature);
    case 'issuer': {
      if (!inputs.issuer) throw new TokenMintError('needs --jwt-key: this token must be signed by the issuer, and only a ready token was given');
      return sign(header, claims, { key: inputs.issuer.privateKey }, template.tamperSignature);
    }
  }
}

/** The header as sent: the attacker's key or its URL where the template puts it. */
function headerFor(template: Omit<TokenTemplate, 'secondToken'>, inputs: MintInputs): Record<string, unknown> {
  const header: Record<string, unknown> = { ...template.header };
  if (template.signer === 'attacker') {
    const attacker = inputs.attacker.key;
    header['alg'] = attacker.alg;
    header['kid'] = attacker.kid;
    if (template.attackerKeyIn === 'jwk') header['jwk'] = attacker.publicJwk;
    if (template.attackerKeyIn === 'jku') header['jku'] = inputs.attackerUrls.jwks;
    if (template.attackerKeyIn === 'x5u') header['x5u'] = inputs.attackerUrls.certificate;
  }
  return header;
}

async function withBinding(claims: Readonly<Record<string, unknown>>, binding: TokenBinding, inputs: MintInputs): Promise<Record<string, unknown>> {
  if (binding.to === 'as-given') return { ...claims };
  const { cnf: _dropped, ...rest } = claims;
  if (binding.to === 'none') return rest;
  const der =
    binding.to === 'presented' ? inputs.presentedDer
    : binding.to === 'issuer-of-presented' ? inputs.issuerOfPresentedDer
    : await inputs.credentialDerOf(binding.to.credentialOf);
  if (!der) throw new TokenMintError(`needs the certificate the token is bound to (${typeof binding.to === 'string' ? binding.to : `that of ${binding.to.credentialOf}`}), which this run cannot make`);
  // RFC 8705 3.1: base64url; hex is the encoding some verifiers wrongly accept.
  return { ...rest, cnf: { 'x5t#S256': certificateSha256(der, binding.encoding) } };
}

/**
 * Signs with jose. A case may put an unknown parameter in crit, which jose
 * refuses to sign unless told it is recognized: it is, here, since saying
 * it on the wire is the case's whole point.
 */
async function sign(header: Record<string, unknown>, claims: Record<string, unknown>, signer: { key: KeyObject } | { hmacSecret: string }, tamperSignature = false): Promise<string> {
  const crit = Array.isArray(header['crit']) ? Object.fromEntries(header['crit'].filter((name): name is string => typeof name === 'string').map((name) => [name, true])) : undefined;
  const key = 'hmacSecret' in signer ? new TextEncoder().encode(signer.hmacSecret) : signer.key;
  const compact = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader(header as CompactJWSHeaderParameters)
    .sign(key, crit ? { crit } : undefined);
  return tamperSignature ? tamper(compact) : compact;
}

/** Flips one bit in the middle of the signature: the token stays well formed, its signature no longer verifies. */
function tamper(compact: string): string {
  const [head = '', body = '', signature = ''] = compact.split('.');
  const bytes = base64url.decode(signature);
  const middle = Math.floor(bytes.length / 2);
  bytes[middle] = (bytes[middle] ?? 0) ^ 0x01;
  return `${head}.${body}.${base64url.encode(bytes)}`;
}

function encodePart(value: Record<string, unknown>): string {
  return base64url.encode(JSON.stringify(value));
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
