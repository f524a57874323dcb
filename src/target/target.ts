import { grpcCodecFor, type GrpcCodec } from './grpc-codec.js';

/**
 * Where the probe connects and what it asks for. Parsed once from the URL the
 * user names (or the reference server's URL) and never changed afterwards.
 */
export type Protocol = 'grpc' | 'http2' | 'tls';

export interface Target {
  readonly url: string;
  readonly protocol: Protocol;
  readonly host: string;
  readonly port: number;
  /** SNI and the name the server certificate must match. */
  readonly servername: string;
  /** HTTP path, or the gRPC method as "/pkg.Service/Method"; "" for raw TLS. */
  readonly path: string;
  /** How to encode the gRPC request and read its reply (gRPC targets only). */
  readonly grpc?: GrpcCodec;
  /** Raw TLS only: what to write after the handshake (the reply proves acceptance). */
  readonly send?: string;
  /** Raw TLS only: the reply that proves acceptance; any other reply is a refusal at the application. */
  readonly expect?: RegExp;
  /** https:// only: force one HTTP version (--http1, --http2); undefined: whatever the server picks by ALPN. */
  readonly http?: HttpVersionChoice;
}

/** --http1 / --http2. */
export type HttpVersionChoice = 'http1' | 'http2';

export interface TargetOptions {
  /** SNI and identity to check, when it differs from the URL's host. */
  servername?: string;
  /** Raw TLS only: text written after the handshake. */
  send?: string;
  /** Raw TLS only: a regular expression the reply must match to count as accepted. */
  expect?: string;
  /** https:// only: force HTTP/1.1 or HTTP/2. */
  http?: HttpVersionChoice;
}

export const defaultGrpcMethod = '/grpc.health.v1.Health/Check';

export class TargetUrlError extends Error {}

const schemes: Record<string, Protocol> = { 'grpcs:': 'grpc', 'https:': 'http2', 'tls:': 'tls' };

export function parseTargetUrl(raw: string, options: TargetOptions = {}): Target {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetUrlError(`"${raw}" is not a URL; expected grpcs://host:port[/pkg.Service/Method], https://host:port/path or tls://host:port`);
  }
  const protocol = schemes[url.protocol];
  if (!protocol) {
    throw new TargetUrlError(`unsupported scheme "${url.protocol}" in ${raw}; use grpcs:, https: or tls: (mTLS needs TLS, so http: and grpc: are not targets)`);
  }
  if (!url.port) {
    throw new TargetUrlError(`${raw} names no port; give one explicitly, e.g. ${url.protocol}//${url.hostname || 'localhost'}:8443`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new TargetUrlError(`${raw}: user info, query and fragment are not supported in a target URL`);
  }
  // URL keeps the brackets of an IPv6 literal; sockets want them stripped.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const path = targetPath(protocol, url.pathname);
  if (options.send !== undefined && protocol !== 'tls') {
    throw new TargetUrlError(`--send applies to tls:// targets only; ${raw} is ${protocolLabels[protocol]}`);
  }
  if (options.expect !== undefined && protocol !== 'tls') {
    throw new TargetUrlError(`--expect applies to tls:// targets only; ${raw} is ${protocolLabels[protocol]} (its status decides)`);
  }
  if (options.http !== undefined && protocol !== 'http2') {
    const why = protocol === 'grpc' ? 'gRPC runs over HTTP/2 only' : 'a tls:// target speaks no HTTP';
    throw new TargetUrlError(`--${options.http} applies to https:// targets only; ${why}`);
  }
  const expect = options.expect === undefined ? undefined : expectPattern(options.expect);
  return {
    url: raw,
    protocol,
    host,
    port: Number(url.port),
    servername: options.servername ?? host,
    path,
    ...(protocol === 'grpc' ? { grpc: grpcCodecFor(path) } : {}),
    ...(options.send !== undefined ? { send: options.send } : {}),
    ...(expect ? { expect } : {}),
    ...(options.http ? { http: options.http } : {}),
  };
}

function expectPattern(source: string): RegExp {
  if (source === '') throw new TargetUrlError('--expect is empty: give a regular expression the accepting reply matches, e.g. "^HTTP/1\\.[01] 200"');
  try {
    return new RegExp(source);
  } catch (error) {
    throw new TargetUrlError(`--expect "${source}" is not a regular expression: ${error instanceof Error ? error.message.replace(/^Invalid regular expression: /, '') : String(error)}`);
  }
}

function targetPath(protocol: Protocol, pathname: string): string {
  switch (protocol) {
    case 'http2':
      return pathname || '/';
    case 'grpc': {
      if (pathname === '' || pathname === '/') return defaultGrpcMethod;
      if (!/^\/[\w.]+\/\w+$/.test(pathname)) {
        throw new TargetUrlError(`gRPC method "${pathname}" must look like /package.Service/Method`);
      }
      return pathname;
    }
    case 'tls':
      if (pathname !== '' && pathname !== '/') throw new TargetUrlError(`a tls:// target takes no path (got "${pathname}")`);
      return '';
  }
}

/** How features and reports name each protocol. */
export const protocolLabels: Record<Protocol, string> = { grpc: 'gRPC', http2: 'HTTP/2', tls: 'raw TLS' };

/**
 * The ALPN protocols the probe offers, in order of preference. https://
 * offers both HTTP versions and speaks whichever the server picks (none:
 * HTTP/1.1, as a browser does); gRPC needs h2.
 */
export function alpnOffer(target: Target): string[] {
  if (target.protocol === 'tls') return [];
  if (target.protocol === 'grpc' || target.http === 'http2') return ['h2'];
  return target.http === 'http1' ? ['http/1.1'] : ['h2', 'http/1.1'];
}

/**
 * The targets a run can have: one per protocol, plus, among the built-in
 * servers, an HTTP/2 server that trusts pinned self-signed client
 * certificates instead of a CA (a different trust model, with its own control).
 * `mtlspec client` reports under one more: the client under test, whose
 * check of mtlspec's server credentials is what its cases judge.
 */
export type TargetKey = Protocol | 'pinned' | TokenTargetKey | 'client';

/** The targets the built-in servers provide: every one but the client under test. */
export type ServerTargetKey = Exclude<TargetKey, 'client'>;

/**
 * A gRPC or HTTP/2 target whose requests carry bearer tokens: the built-in
 * servers in token mode, or the user's target run with --jwt-key or --token.
 * Its own key, so token cases have a control (certificate plus valid token) of their own.
 */
export type TokenTargetKey = 'grpc-jwt' | 'http2-jwt';

export function tokenTargetKey(protocol: 'grpc' | 'http2'): TokenTargetKey {
  return protocol === 'grpc' ? 'grpc-jwt' : 'http2-jwt';
}

export const targetLabels: Record<TargetKey, string> = { ...protocolLabels, pinned: 'pinned HTTP/2', 'grpc-jwt': 'gRPC + JWT', 'http2-jwt': 'HTTP/2 + JWT', client: 'client under test' };

export function targetKeyFromLabel(label: string): TargetKey {
  const found = (Object.keys(targetLabels) as TargetKey[]).find((key) => targetLabels[key] === label);
  if (!found) throw new Error(`unknown target "${label}"; expected one of ${Object.values(targetLabels).join(', ')}`);
  return found;
}
