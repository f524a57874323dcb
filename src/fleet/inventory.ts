import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { parse } from 'yaml';
import { pathOptions } from '../cli/config-file.js';
import { InputError, readInputText } from '../run/inputs.js';
import { runOptionShapes } from './run-option-shapes.js';

// The YAML parser is loaded only for a YAML inventory.
const require = createRequire(import.meta.url);
const parseYaml = (text: string): unknown => (require('yaml') as { parse: typeof parse }).parse(text);

/**
 * An inventory: many targets, each given by `run`'s long option names as in
 * the config file, plus `name`, `owner` and `tags`; `defaults:` applies to
 * every entry (an entry's own value wins). Only the shape is checked here;
 * what each entry's options mean is checked by run's own parser, per entry
 * (fleet-entries.ts), so a fleet accepts exactly what a single run does.
 */
export interface Inventory {
  readonly file: string;
  /** Of the file's bytes: shards of one fleet must have read the same inventory. */
  readonly digest: string;
  readonly entries: readonly InventoryEntry[];
}

export interface InventoryEntry {
  /** Position in the file, from 0: shards are cut by it. */
  readonly index: number;
  readonly name: string;
  readonly owner?: string;
  readonly tags: readonly string[];
  /** The run options, defaults applied, relative paths resolved against the inventory's folder. */
  readonly options: Readonly<Record<string, OptionValue>>;
}

export type OptionValue = string | number | boolean | readonly string[];

/** Run options that belong to the whole fleet run, not to one target: given on the command line only. */
export const fleetWide: ReadonlySet<string> = new Set(['report-dir', 'inventory', 'concurrency', 'shard', 'shards', 'quiet', 'tags', 'log-level', 'log-format', 'write-baseline', 'config', 'waivers']);

export function loadInventory(file: string): Inventory {
  const text = readInputText(file, '--inventory');
  let parsed: unknown;
  try {
    parsed = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new InputError(`inventory ${file} does not parse: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  if (!isObject(parsed)) throw new InputError(`inventory ${file} must hold an object with a targets: list`);
  const unknownTop = Object.keys(parsed).find((key) => key !== 'targets' && key !== 'defaults');
  if (unknownTop !== undefined) throw new InputError(`inventory ${file}: unknown top-level key "${unknownTop}" (only targets: and defaults:)`);
  const { targets, defaults = {} } = parsed;
  if (!Array.isArray(targets) || targets.length === 0) throw new InputError(`inventory ${file} needs a non-empty targets: list`);
  if (!isObject(defaults)) throw new InputError(`inventory ${file}: defaults: must be a map of option names and values`);
  const dir = path.dirname(path.resolve(file));
  // owner and tags in defaults: labels every entry has unless it sets its own.
  const { owner: defaultOwner, tags: defaultTags, ...defaultRest } = defaults;
  const defaultOptions = checkedOptions(defaultRest, dir, (field, problem) => new InputError(`inventory ${file}, defaults: field "${field}" ${problem}`));
  const labels = { ...(defaultOwner !== undefined ? { owner: defaultOwner } : {}), ...(defaultTags !== undefined ? { tags: defaultTags } : {}) };
  const entries = targets.map((raw: unknown, index: number) => entryOf(isObject(raw) ? { ...labels, ...raw } : raw, index, { file, dir, defaults: defaultOptions }));
  const seen = new Map<string, number>();
  for (const entry of entries) {
    const earlier = seen.get(entry.name);
    if (earlier !== undefined) throw new InputError(`inventory ${file}: targets ${earlier + 1} and ${entry.index + 1} are both named "${entry.name}"; names must be unique`);
    seen.set(entry.name, entry.index);
  }
  return { file, digest: createHash('sha256').update(text).digest('hex').slice(0, 16), entries };
}

interface EntryContext {
  readonly file: string;
  readonly dir: string;
  readonly defaults: Readonly<Record<string, OptionValue>>;
}

function entryOf(raw: unknown, index: number, context: EntryContext): InventoryEntry {
  const label = (name?: string): string => `inventory ${context.file}, target ${index + 1}${name ? ` ("${name}")` : ''}`;
  if (!isObject(raw)) throw new InputError(`${label()} must be a map of option names and values`);
  const { name, owner, tags, ...rest } = raw;
  if (name !== undefined && (typeof name !== 'string' || name.trim() === '')) throw new InputError(`${label()}: field "name" must be a non-empty string`);
  const problem = (field: string, what: string): InputError => new InputError(`${label(typeof name === 'string' ? name : undefined)}: field "${field}" ${what}`);
  if (owner !== undefined && typeof owner !== 'string') throw problem('owner', 'must be a string');
  if (tags !== undefined && !(Array.isArray(tags) && tags.every((tag) => typeof tag === 'string'))) throw problem('tags', 'must be a list of strings');
  const options = { ...context.defaults, ...checkedOptions(rest, context.dir, problem) };
  const target = options['target'];
  const fallbackName = typeof target === 'string' ? target : `target-${index + 1}`;
  return {
    index,
    name: typeof name === 'string' ? name : fallbackName,
    ...(owner !== undefined ? { owner } : {}),
    tags: (tags as string[] | undefined) ?? [],
    options,
  };
}

function checkedOptions(raw: Record<string, unknown>, dir: string, problem: (field: string, what: string) => InputError): Record<string, OptionValue> {
  const { names, lists } = runOptionShapes();
  const options: Record<string, OptionValue> = {};
  for (const [field, value] of Object.entries(raw)) {
    if (fleetWide.has(field)) throw problem(field, 'applies to the whole fleet run: give it on the command line, not per target');
    if (lists.has(field)) {
      const list = typeof value === 'string' ? [value] : value;
      if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) throw problem(field, 'must be a string or a list of strings');
      options[field] = list as string[];
      continue;
    }
    if (!names.has(field)) throw problem(field, "is not an option of mtlspec run (entries take run's long option names, and name, owner, tags)");
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw problem(field, 'must be a string, a number or true/false');
    options[field] = pathOptions.includes(field) && typeof value === 'string' && !path.isAbsolute(value) ? path.join(dir, value) : value;
  }
  return options;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
