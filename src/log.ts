import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type prettyFactory from 'pino-pretty';

// pino-pretty is for a person at a terminal; CI and scripts never load it.
const require = createRequire(import.meta.url);

export type LogFormat = 'pretty' | 'json';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export const logLevels: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

/**
 * Diagnostic logs go to stderr, apart from the verdict lines on stdout, so a
 * script can read one without the other. A person at a terminal gets
 * pino-pretty; CI and scripts get one JSON object per line.
 */
export function createLogger(level: LogLevel, format: LogFormat = defaultLogFormat()): Logger {
  const options = {
    level,
    base: undefined,
    // Belt and braces: no logged object may carry key material by these names.
    redact: { paths: ['*.keyPem', '*.privateKeyPem', '*.caKey', 'keyPem', 'caKey'], censor: '[redacted]' },
  };
  if (format === 'json') return pino(options, pino.destination({ fd: 2, sync: true }));
  const pretty = require('pino-pretty') as typeof prettyFactory;
  return pino(options, pretty({ destination: 2, colorize: process.stderr.isTTY === true, sync: true, ignore: 'pid,hostname' }));
}

export function defaultLogFormat(): LogFormat {
  return process.env['CI'] === 'true' || !process.stderr.isTTY ? 'json' : 'pretty';
}
