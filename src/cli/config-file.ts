import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { parse } from 'yaml';

// The YAML parser is loaded only for a YAML config file: most runs have none.
const require = createRequire(import.meta.url);
const parseYaml = (text: string): unknown => (require('yaml') as { parse: typeof parse }).parse(text);
import { InputError, readInputText } from '../run/inputs.js';

/** Looked for in the current directory when --config is not given. */
export const defaultConfigNames = ['mtlspec.config.json', 'mtlspec.config.yaml', 'mtlspec.config.yml'];

/** Option names whose values are paths: relative ones are resolved against the config file's folder (and an inventory's). */
export const pathOptions = ['ca-cert', 'ca-key', 'client-cert', 'client-key', 'client-p12', 'ca-p12', 'server-ca', 'report-dir', 'baseline', 'write-baseline'];

/**
 * Reads a config file whose keys are the long flag names ("target",
 * "ca-cert", ...). Flags and MTLSPEC_* environment variables override it;
 * yargs applies that order.
 */
export function loadConfigFile(explicit: string | undefined, cwd = process.cwd()): Record<string, unknown> {
  const file = explicit ?? defaultConfigNames.map((name) => path.join(cwd, name)).find((candidate) => existsSync(candidate));
  if (!file) return {};
  const text = readInputText(file, '--config');
  let parsed: unknown;
  try {
    parsed = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new InputError(`config file ${file} does not parse: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new InputError(`config file ${file} must hold an object of option names and values`);
  const config: Record<string, unknown> = { ...(parsed as Record<string, unknown>) };
  const dir = path.dirname(path.resolve(file));
  for (const key of pathOptions) {
    const value = config[key];
    if (typeof value === 'string' && !path.isAbsolute(value)) config[key] = path.join(dir, value);
  }
  return config;
}
