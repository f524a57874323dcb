import { logLevels, type LogFormat, type LogLevel } from '../log.js';
import type { ServerFlaw } from '../servers/types.js';
import type { Protocol } from '../target/target.js';

/**
 * Everything a run needs, as plain JSON: the CLI builds it, cucumber carries
 * it to every worker as world parameters, and each worker's session reads it.
 */
export interface RunSettings {
  /** Where to point the probes. 'reference' starts the built-in servers. */
  readonly mode: 'reference';
  /** Protocols to start reference servers for. */
  readonly protocols: readonly Protocol[];
  /** Flaws to switch on in the reference servers (the harness's self-tests). */
  readonly flaws: readonly ServerFlaw[];
  /** The SPIFFE ID the valid client credential carries and the target authorizes. */
  readonly clientSpiffeId: string;
  /** Ceiling for one probe, connect to answer. */
  readonly timeoutMs: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
}

export const defaultClientSpiffeId = 'spiffe://example.org/client';
export const defaultTimeoutMs = 5000;

/** Validates the untyped world parameters cucumber hands back. */
export function readRunSettings(parameters: unknown): RunSettings {
  const p = (parameters ?? {}) as Partial<RunSettings>;
  return {
    mode: 'reference',
    protocols: Array.isArray(p.protocols) && p.protocols.length > 0 ? p.protocols : ['grpc', 'http2'],
    flaws: Array.isArray(p.flaws) ? p.flaws : [],
    clientSpiffeId: typeof p.clientSpiffeId === 'string' ? p.clientSpiffeId : defaultClientSpiffeId,
    timeoutMs: typeof p.timeoutMs === 'number' && p.timeoutMs > 0 ? p.timeoutMs : defaultTimeoutMs,
    logLevel: p.logLevel && logLevels.includes(p.logLevel) ? p.logLevel : 'warn',
    logFormat: p.logFormat === 'pretty' ? 'pretty' : 'json',
  };
}
