import { readFileSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { packageRoot } from '../paths.js';
import { offerPrewarmedRsa2048, type KeyPair } from '../pki/prewarm.js';
import { InputError } from '../run/inputs.js';
import { defaultConfigNames, loadConfigFile } from './config-file.js';
import { certsCommand, certsOptions, type CertsArguments } from './certs-command.js';
import { clientCommand, clientOptions, type ClientArguments } from './client-command.js';
import { ExitCode } from './exit-codes.js';
import { serveCommand, serveOptions, type ServeArguments } from './serve-command.js';
import { runCommand, runOptions, type RunArguments } from './run-command.js';
import { fleetOptions, isFleetRun, type FleetArguments } from '../fleet/fleet-options.js';
import { mergeOptions, type MergeArguments } from '../fleet/merge-options.js';

/** What bin/mtlspec.js may start before the CLI's code has loaded. */
export interface CliHead {
  /** The RSA-2048 key a run against the built-in servers needs, already being generated. */
  readonly prewarmedRsa2048?: Promise<KeyPair>;
}

/**
 * The command line (args without node and the script). Every failure ends as
 * one line on stderr and a distinct exit code (see exit-codes.ts), never a
 * stack trace. Sets process.exitCode.
 */
export async function runCli(args: string[], head: CliHead = {}): Promise<void> {
  if (head.prewarmedRsa2048) offerPrewarmedRsa2048(head.prewarmedRsa2048);
  // `mtlspec run | head` closes stdout early: stop quietly, as Unix tools do, instead of reporting an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? ExitCode.passed);
    throw error;
  });
  try {
    process.exitCode = await main(args);
  } catch (error) {
    const message = oneLine(error instanceof Error ? error.message : String(error));
    if (error instanceof InputError) {
      process.stderr.write(`mtlspec: ${message}\n`);
      process.exitCode = ExitCode.usage;
    } else {
      process.stderr.write(`mtlspec: internal error: ${message}\n`);
      process.exitCode = ExitCode.internal;
    }
  }
}

type Parsed =
  | ({ command: 'run' } & RunArguments & FleetArguments)
  | ({ command: 'merge' } & MergeArguments)
  | ({ command: 'certs' } & CertsArguments)
  | ({ command: 'serve' } & ServeArguments)
  | ({ command: 'client' } & ClientArguments);

async function main(args: string[]): Promise<number> {
  const parsed = await parse(args);
  // --help and --version have printed and are done.
  if (!parsed) return ExitCode.passed;
  switch (parsed.command) {
    case 'run':
      if (isFleetRun(parsed)) return (await import('../fleet/fleet-command.js')).fleetCommand(parsed);
      return runCommand(parsed);
    case 'merge':
      return (await import('../fleet/merge-command.js')).mergeCommand(parsed);
    case 'certs':
      return certsCommand(parsed);
    case 'serve':
      return serveCommand(parsed);
    case 'client':
      return clientCommand(parsed);
  }
}

/**
 * `run` has a parser of its own: the hot path, with settings sources of its
 * own (the config file and MTLSPEC_* variables). The top-level parser lists
 * it, and handles certs, serve, --help and --version. The work runs after
 * the parse, not in yargs handlers: for a command with a handler, yargs
 * renders the whole help text on every run, in case it is asked for later,
 * which was ~40 ms of a run of a few cases.
 */
async function parse(args: string[]): Promise<Parsed | undefined> {
  if (args[0] === 'run') {
    const argv = await fleetOptions(runOptions(yargs(args.slice(1)).scriptName('mtlspec').strict().help().version(packageVersion()).wrap(helpWidth()).fail(failWithInputError)))
      .usage(`$0 run [options]\n\n${runDescription}`)
      .option('config', { type: 'string', describe: `Config file (JSON or YAML) whose keys are the long option names; default: ${defaultConfigNames.join(', ')} in the current directory` })
      .config(loadConfigFile(explicitConfigPath(args)))
      .env('MTLSPEC')
      .parseAsync();
    return { ...argv, command: 'run' };
  }
  const argv = await yargs(args)
    .scriptName('mtlspec')
    .usage('$0 <command> [options]\n\nConformance and negative tests for mTLS servers: does yours refuse every client it must refuse?')
    .command('run', runDescription)
    .command('certs', 'Write a ready mTLS test PKI (CA, server and client certificates and keys) as PEM files', certsOptions)
    .command('serve <protocol>', 'Run one built-in reference server (grpc, http2 or tls) until Ctrl-C, with its PKI on disk', serveOptions)
    .command('client', 'Test an mTLS client: mtlspec plays a hostile server, one defective server certificate per case (--exec or --listen)', clientOptions)
    .command('merge <dirs..>', "Join the reports of a fleet's shards (run --inventory --shard I/N) into one fleet report and exit code", mergeOptions)
    .demandCommand(1, 'name a command: run, client, certs, serve or merge')
    .strict()
    .help()
    .version(packageVersion())
    .wrap(helpWidth())
    .fail(failWithInputError)
    .parseAsync();
  const [command] = argv._;
  if (command !== 'certs' && command !== 'serve' && command !== 'merge' && command !== 'client') return undefined;
  // yargs applied the command's builder, so argv holds exactly that command's arguments.
  return { ...argv, command } as unknown as Parsed;
}

const runDescription = 'Run the conformance scenarios against the built-in servers or --target';

/**
 * mtlspec's own version, from its package.json. Not yargs's guess, which
 * reads the package.json above wherever yargs is installed: the user's
 * project, once mtlspec is installed into it.
 */
function packageVersion(): string {
  const { version } = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  return version;
}

function helpWidth(): number {
  return Math.min(120, process.stdout.columns || 120);
}

/** yargs reports a bad command line by calling this; main turns an InputError into one line and exit 2. */
function failWithInputError(message: string, error: Error | undefined): never {
  throw error instanceof InputError ? error : new InputError(message || error?.message || 'invalid command line');
}

/** --config must be known before yargs parses, since the file feeds the parse. */
function explicitConfigPath(args: readonly string[]): string | undefined {
  const index = args.findIndex((arg) => arg === '--config' || arg.startsWith('--config='));
  if (index < 0) return process.env['MTLSPEC_CONFIG'];
  const arg = args[index] ?? '';
  return arg.includes('=') ? arg.slice('--config='.length) : args[index + 1];
}

/** yargs and Node write multi-line messages; the CLI promises one line. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
