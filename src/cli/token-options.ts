import { isIP } from 'node:net';
import type { TargetKnowledge } from '../catalogue/case.js';
import { InputError, readInputText } from '../run/inputs.js';
import type { CredentialSource, TokenSettings } from '../run/settings.js';
import type { Target } from '../target/target.js';
import { holdInlineToken } from '../token/given-token.js';
import { GivenTokenError, splitGivenToken } from '../token/kit.js';
import { readSigningKey, SigningKeyError } from '../token/keys.js';
import { certificateDer, certificateSha256 } from '../pki/certificate-hash.js';
import type { GivenToken } from '../token/mint.js';

/** The token flags of `run`, as yargs gives them. */
export interface TokenArguments {
  'jwt-key': string | undefined;
  'jwt-kid': string | undefined;
  'jwt-iss': string | undefined;
  'jwt-aud': string | undefined;
  'jwt-claims': string | undefined;
  'jwt-bound': boolean;
  token: string | undefined;
  'token-file': string | undefined;
}

export const tokenSingleValueFlags = ['jwt-key', 'jwt-kid', 'jwt-iss', 'jwt-aud', 'jwt-claims', 'token', 'token-file'] as const satisfies ReadonlyArray<keyof TokenArguments>;

/** The flags that make a run carry tokens; named in "needs --target" errors. */
export function givenTokenFlags(argv: TokenArguments): string[] {
  return [...tokenSingleValueFlags.filter((flag) => argv[flag] !== undefined), ...(argv['jwt-bound'] ? ['jwt-bound'] : [])];
}

/**
 * Checks the token flags for an external target and turns them into
 * settings and knowledge, reading every file now so a bad key or token is
 * one line before the network. A token's value never goes into settings
 * or an error message.
 */
export async function tokenSettingsFrom(argv: TokenArguments, target: Target, credentials: CredentialSource, clientCertPem: string | undefined): Promise<{ tokens?: TokenSettings; knowledge: TargetKnowledge[] }> {
  const flags = givenTokenFlags(argv);
  if (flags.length === 0) return { knowledge: [] };
  if (target.protocol === 'tls') throw new InputError(`--${flags[0]} needs a grpcs:// or https:// target: tokens travel in a request header, and tls:// has none`);
  const keyFile = argv['jwt-key'];
  const tokenFile = argv['token-file'];
  const inline = argv.token;
  const sources = [keyFile !== undefined ? '--jwt-key' : '', tokenFile !== undefined ? '--token-file' : '', inline !== undefined ? '--token' : ''].filter(Boolean);
  if (sources.length === 0) throw new InputError(`--${flags[0]} needs --jwt-key (the issuer's private key) or a ready token (--token or --token-file)`);
  if (sources.length > 1) throw new InputError(`${sources.join(' and ')} exclude each other: give the issuer's key, or one ready token`);
  if (keyFile === undefined) {
    const mintOnly = (['jwt-kid', 'jwt-iss', 'jwt-aud', 'jwt-claims'] as const).find((flag) => argv[flag] !== undefined);
    if (mintOnly) throw new InputError(`--${mintOnly} needs --jwt-key: a ready token cannot be changed without the issuer's key`);
  }
  const extraClaimsJson = argv['jwt-claims'] !== undefined ? checkedClaims(argv['jwt-claims']) : undefined;

  if (keyFile !== undefined) {
    try {
      await readSigningKey(readInputText(keyFile, '--jwt-key'), argv['jwt-kid']);
    } catch (error) {
      if (error instanceof SigningKeyError) throw new InputError(`--jwt-key ${keyFile} ${error.message}`);
      throw error;
    }
  } else {
    const flag = tokenFile !== undefined ? '--token-file' : '--token';
    const given = readGivenToken(tokenFile !== undefined ? readInputText(tokenFile, '--token-file') : (inline ?? ''), flag);
    checkBinding(given, flag, credentials, clientCertPem);
    if (inline !== undefined) holdInlineToken(given.compact);
  }
  const tokens: TokenSettings = {
    ...(keyFile !== undefined ? { keyFile } : {}),
    ...(argv['jwt-kid'] !== undefined ? { kid: argv['jwt-kid'] } : {}),
    ...(tokenFile !== undefined ? { tokenFile } : {}),
    ...(inline !== undefined ? { tokenInline: true } : {}),
    ...(argv['jwt-iss'] !== undefined ? { issuer: argv['jwt-iss'] } : {}),
    ...(argv['jwt-aud'] !== undefined ? { audience: argv['jwt-aud'] } : {}),
    ...(extraClaimsJson !== undefined ? { extraClaimsJson } : {}),
  };
  const knowledge: TargetKnowledge[] = [
    ...(argv['jwt-iss'] !== undefined ? (['jwt-issuer'] as const) : []),
    ...(argv['jwt-aud'] !== undefined ? (['jwt-audience'] as const) : []),
    ...(argv['jwt-bound'] ? (['certificate-bound-tokens'] as const) : []),
    // The attacker's key is served on this machine's loopback: only a target on it can fetch it.
    ...(isLoopback(target.host) ? (['attacker-key-urls-reachable'] as const) : []),
  ];
  return { tokens, knowledge };
}

function readGivenToken(text: string, flag: string): GivenToken {
  try {
    return splitGivenToken(text);
  } catch (error) {
    if (error instanceof GivenTokenError) throw new InputError(`${flag} ${error.message}`);
    throw error;
  }
}

/** A certificate-bound token works only with its certificate: the run must present exactly that one. */
function checkBinding(given: GivenToken, flag: string, credentials: CredentialSource, clientCertPem: string | undefined): void {
  const cnf = given.claims['cnf'];
  const thumbprint = typeof cnf === 'object' && cnf !== null ? (cnf as Record<string, unknown>)['x5t#S256'] : undefined;
  if (typeof thumbprint !== 'string') return;
  if (credentials.kind === 'ca' || !clientCertPem) {
    throw new InputError(`${flag}: the token is bound to one certificate (cnf x5t#S256), so give that certificate with --client-cert and --client-key; certificates minted from --ca-cert cannot match it`);
  }
  if (certificateSha256(certificateDer(clientCertPem)) !== thumbprint) {
    throw new InputError(`${flag}: the token is bound to another certificate than --client-cert (its cnf x5t#S256 differs)`);
  }
}

function checkedClaims(text: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InputError('--jwt-claims is not JSON; give an object, e.g. \'{"scope":"read"}\'');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError('--jwt-claims must be a JSON object of claims, e.g. \'{"scope":"read"}\'');
  return JSON.stringify(value);
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}
