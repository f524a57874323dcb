import { logLevels, type LogFormat, type LogLevel } from '../log.js';
import type { ServerFlaw } from '../servers/types.js';
import type { ServerCertificateFlaw } from './server-certificate-flaws.js';
import type { TokenFlaw } from '../token/verifier.js';

/** A deliberate fault in the built-in servers: in how they judge clients or their tokens, or in their own certificate. */
export type ReferenceFlaw = ServerFlaw | ServerCertificateFlaw | TokenFlaw;
import type { TargetKnowledge } from '../catalogue/case.js';
import type { ServerTargetKey } from '../target/target.js';

/**
 * Everything a run needs, as plain JSON: the CLI builds it, cucumber carries
 * it to every worker as world parameters, and each worker's session reads it.
 * Files are passed by path, never by content, so no key material travels in
 * world parameters.
 */
export interface RunSettings {
  readonly target: TargetSettings;
  /** The SPIFFE ID the valid client credential carries and the target authorizes. */
  readonly clientSpiffeId: string;
  /** What the run knows of the target's policy (the reference servers: everything). */
  readonly knowledge: readonly TargetKnowledge[];
  /** Ceiling for one probe, connect to answer. */
  readonly timeoutMs: number;
  /** SHOULD-level findings (wrong alerts, SHOULD cases) fail instead of warn. */
  readonly strict: boolean;
  /** At most this many new connections per second to a target (--rate); undefined: no limit. */
  readonly ratePerSecond?: number;
  /** The SPIFFE ID the server must present, when the run checks it. */
  readonly serverSpiffeId?: string;
  /** Connections each case and each control around it is probed on (--repeat): one per backend behind a balancer; undefined: 1. */
  readonly repeat?: number;
  /** A regular expression (source) finding the caller's identity in the application's answer (--identity-echo); group 1 if it has one. */
  readonly identityEcho?: string;
  /** The service behind the target's proxy, tried directly with forged identities (--backend); external runs only. */
  readonly backend?: string;
  /** The policy profile the cases are judged against (--profile); undefined: the default. */
  readonly profile?: string;
  /** The --case selectors (ids or prefixes); empty means every case. The PKI prepares what these cases need. */
  readonly caseSelectors: readonly string[];
  /** Write the client CA's CRL here (external runs with the CA key). */
  readonly crlOut?: string;
  /** Bearer tokens on the requests (built-in token servers, or --jwt-key / --token for --target). */
  readonly tokens?: TokenSettings;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
}

export type TargetSettings =
  /** The built-in reference servers, started by the run itself. */
  | { readonly kind: 'reference'; readonly protocols: readonly ServerTargetKey[]; readonly flaws: readonly ReferenceFlaw[] }
  /** A server the user names by URL. */
  | {
      readonly kind: 'external';
      readonly url: string;
      readonly servername?: string;
      /** PEM file of the CA that issued the target's own certificate; default: the system roots. */
      readonly serverCaFile?: string;
      /** Raw TLS only: text written after the handshake. */
      readonly send?: string;
      /** Raw TLS only: a regular expression (source) the accepting reply matches. */
      readonly expect?: string;
      /** https:// only: force HTTP/1.1 or HTTP/2 (--http1, --http2). */
      readonly http?: 'http1' | 'http2';
      readonly credentials: CredentialSource;
    };

/**
 * Where the run's tokens come from. Files by path, as for certificates; a
 * token given inline (--token) is held by the CLI's process (given-token.ts)
 * and never put in settings, which cucumber carries as world parameters.
 */
// A type, not an interface: world parameters must be JSON, which TypeScript checks only for type aliases.
export type TokenSettings = {
  /** --jwt-key: the issuer's private key, PEM or JWK. Absent for the built-in servers (the run makes one) and with a given token. */
  readonly keyFile?: string;
  /** --jwt-kid: the kid the target knows the issuer's key by. */
  readonly kid?: string;
  /** --token-file: one valid token, when the issuer's key is not at hand. */
  readonly tokenFile?: string;
  /** --token: the token is in given-token.ts's holder. */
  readonly tokenInline?: boolean;
  readonly issuer?: string;
  readonly audience?: string;
  /** --jwt-claims: extra claims every minted token carries, as the JSON object text the CLI checked. */
  readonly extraClaimsJson?: string;
};

/** The issuer and audience of the built-in token servers. */
export const referenceTokenIssuer = 'https://issuer.mtlspec.test';
export const referenceTokenAudience = 'https://api.mtlspec.test';

/**
 * Where the valid client credential comes from. With the CA the target
 * trusts, every case can be minted; with one client credential, the cases
 * that need a leaf signed by that CA are skipped, with the reason.
 */
export type CredentialSource = PemCredentialSource | Pkcs12CredentialSource;

export type PemCredentialSource = { readonly kind: 'ca' | 'client'; readonly certFile: string; readonly keyFile: string };
/**
 * The same as a PKCS#12 file (--ca-p12, --client-p12). Its password is no
 * setting: the name of the variable holding it, or nothing when it was
 * typed at the prompt and is kept in memory (src/run/p12-password.ts).
 */
export type Pkcs12CredentialSource = { readonly kind: 'ca' | 'client'; readonly p12File: string; readonly passwordEnv?: string };

export const defaultClientSpiffeId = 'spiffe://example.org/client';
/** The URI SAN of the reference servers' own certificate. */
export const referenceServerSpiffeId = 'spiffe://example.org/server';
export const defaultTimeoutMs = 5000;
/** The most --timeout may be: one probe's ceiling, which every wait of a case is a multiple of. */
export const maxTimeoutMs = 120_000;
/** The most --repeat may be: every wait of a case is a multiple of it, and a balancer with more backends is sampled, not covered. */
export const maxRepeat = 10;
/** The built-in targets: one server per protocol, and the pinned-clients HTTP/2 server. */
export const referenceProtocols: readonly ServerTargetKey[] = ['grpc', 'http2', 'tls', 'pinned', 'grpc-jwt', 'http2-jwt'];

/** Reads back the world parameters cucumber hands each worker; the CLI wrote them, so a mismatch is a bug. */
export function readRunSettings(parameters: unknown): RunSettings {
  const p = (parameters ?? {}) as Partial<RunSettings>;
  if (!p.target || (p.target.kind !== 'reference' && p.target.kind !== 'external')) {
    throw new Error('the run settings name no target; run mtlspec through its CLI');
  }
  return {
    target: p.target,
    clientSpiffeId: typeof p.clientSpiffeId === 'string' ? p.clientSpiffeId : defaultClientSpiffeId,
    knowledge: Array.isArray(p.knowledge) ? p.knowledge : [],
    timeoutMs: typeof p.timeoutMs === 'number' && p.timeoutMs > 0 ? p.timeoutMs : defaultTimeoutMs,
    strict: p.strict === true,
    caseSelectors: Array.isArray(p.caseSelectors) ? p.caseSelectors : [],
    ...(typeof p.serverSpiffeId === 'string' ? { serverSpiffeId: p.serverSpiffeId } : {}),
    ...(typeof p.crlOut === 'string' ? { crlOut: p.crlOut } : {}),
    ...(typeof p.tokens === 'object' && p.tokens !== null ? { tokens: p.tokens } : {}),
    ...(typeof p.profile === 'string' ? { profile: p.profile } : {}),
    ...(typeof p.repeat === 'number' && Number.isInteger(p.repeat) && p.repeat > 1 && p.repeat <= maxRepeat ? { repeat: p.repeat } : {}),
    ...(typeof p.identityEcho === 'string' ? { identityEcho: p.identityEcho } : {}),
    ...(typeof p.backend === 'string' ? { backend: p.backend } : {}),
    ...(typeof p.ratePerSecond === 'number' && p.ratePerSecond > 0 ? { ratePerSecond: p.ratePerSecond } : {}),
    logLevel: p.logLevel && logLevels.includes(p.logLevel) ? p.logLevel : 'warn',
    logFormat: p.logFormat === 'pretty' ? 'pretty' : 'json',
  };
}
