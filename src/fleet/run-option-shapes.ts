import yargs from 'yargs';
import { runOptions } from '../cli/run-command.js';

/**
 * run's options as its own parser declares them: which exist, which take a
 * list, and their defaults. Read from runOptions rather than listed here, so
 * an option added to run is at once an inventory field, and a fleet command
 * line that sets one it would not pass on is refused instead of ignored.
 */
export interface RunOptionShapes {
  readonly names: ReadonlySet<string>;
  readonly lists: ReadonlySet<string>;
  readonly defaults: Readonly<Record<string, unknown>>;
}

interface DeclaredOptions {
  readonly key: Readonly<Record<string, unknown>>;
  readonly array: readonly string[];
  readonly default: Readonly<Record<string, unknown>>;
}

let shapes: RunOptionShapes | undefined;

export function runOptionShapes(): RunOptionShapes {
  if (shapes) return shapes;
  // yargs has getOptions() (its parser's own view of the declared options); @types/yargs leaves it out.
  const options = (runOptions(yargs([])) as unknown as { getOptions(): DeclaredOptions }).getOptions();
  const builtIn = new Set(['help', 'version']);
  shapes = {
    names: new Set(Object.keys(options.key).filter((name) => !builtIn.has(name))),
    lists: new Set(options.array),
    defaults: { ...options.default },
  };
  return shapes;
}

/** Options of a fleet command line that differ from run's defaults: what the user set. */
export function setOptions(argv: Readonly<Record<string, unknown>>): string[] {
  const { names, defaults } = runOptionShapes();
  return [...names].filter((name) => {
    const value = argv[name];
    if (value === undefined) return false;
    return JSON.stringify(value) !== JSON.stringify(defaults[name]);
  });
}
