import yargs from 'yargs';
import { runOptions, settingsFromArguments, type RunArguments } from '../cli/run-command.js';
import { InputError } from '../run/inputs.js';
import { p12Password } from '../run/p12-password.js';
import type { RunSettings } from '../run/settings.js';
import { cases } from '../../fixtures/cases.js';
import { selectCases } from '../catalogue/case.js';
import { caseBudgetMs } from '../run/pacing.js';
import type { Inventory, InventoryEntry, OptionValue } from './inventory.js';

/** One target of the fleet, checked, as the `mtlspec run` command line that tests it. */
export interface FleetTask {
  readonly entry: InventoryEntry;
  /** run's arguments, without --report-dir (the fleet gives each target its folder). */
  readonly args: readonly string[];
  /** What the fleet report calls the target: its URL, or the built-in servers. */
  readonly url: string;
  /** Past this, the target's run is ended: every case's whole bracket, and a minute for the rest. */
  readonly deadlineMs: number;
}

/** Options of the fleet's own command line that every target gets, unless its entry (or defaults:) says otherwise. */
export type SharedOptions = Readonly<Record<string, OptionValue | undefined>>;

/**
 * Checks every entry with run's own parser and checks (settingsFromArguments
 * reads each file, key and certificate), so a fleet refuses exactly what a
 * single run would, and before any probe. A failure is one line naming the
 * entry; run's message names the field as its flag.
 */
export async function fleetTasks(inventory: Inventory, entries: readonly InventoryEntry[], shared: SharedOptions): Promise<FleetTask[]> {
  const tasks: FleetTask[] = [];
  for (const entry of entries) {
    const options = await withPasswordVariable(entry, { ...definedOnly(shared), ...entry.options });
    const args = argumentsFor(options);
    const named = `inventory ${inventory.file}, target ${entry.index + 1} ("${entry.name}")`;
    let settings: RunSettings;
    try {
      settings = await settingsFromArguments(await parseRunArguments(args));
    } catch (error) {
      if (error instanceof InputError) throw new InputError(`${named}: ${error.message}`);
      throw error;
    }
    const selected = selectCases(cases, settings.caseSelectors).length;
    tasks.push({
      entry,
      args,
      url: settings.target.kind === 'external' ? settings.target.url : 'built-in reference servers',
      deadlineMs: 60_000 + selected * caseBudgetMs(settings.timeoutMs),
    });
  }
  return tasks;
}

/**
 * A PKCS#12 password typed at the prompt reaches the target's process the
 * way a careful user passes one: in an environment variable it inherits,
 * named by --p12-password-env, never on its command line.
 */
async function withPasswordVariable(entry: InventoryEntry, options: Record<string, OptionValue>): Promise<Record<string, OptionValue>> {
  const flag = options['client-p12'] !== undefined ? 'client-p12' : options['ca-p12'] !== undefined ? 'ca-p12' : undefined;
  if (flag === undefined || options['p12-password-env'] !== undefined) return options;
  const file = String(options[flag]);
  const password = await p12Password({ flag: `inventory target "${entry.name}", ${flag}`, file });
  const variable = `MTLSPEC_FLEET_P12_PASSWORD_${entry.index}`;
  process.env[variable] = password;
  return { ...options, 'p12-password-env': variable };
}

/** Options as run's command line; `--flag=value` so that a value starting with "-" stays a value. */
export function argumentsFor(options: Readonly<Record<string, OptionValue>>): string[] {
  const args: string[] = [];
  for (const [name, value] of Object.entries(options)) {
    if (typeof value === 'boolean') {
      if (value) args.push(`--${name}`);
    } else if (Array.isArray(value)) {
      for (const item of value) args.push(`--${name}=${item}`);
    } else {
      args.push(`--${name}=${String(value)}`);
    }
  }
  return args;
}

/** run's parser on an entry's arguments: its types, choices and defaults, without the config file or MTLSPEC_* variables. */
async function parseRunArguments(args: readonly string[]): Promise<RunArguments> {
  return runOptions(yargs([...args]))
    .strict()
    .help(false)
    .version(false)
    .fail((message: string, error: Error | undefined) => {
      throw error instanceof InputError ? error : new InputError(message || error?.message || 'invalid options');
    })
    .parseAsync();
}

function definedOnly(options: SharedOptions): Record<string, OptionValue> {
  return Object.fromEntries(Object.entries(options).filter((entry): entry is [string, OptionValue] => entry[1] !== undefined));
}
