import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { InputError } from '../run/inputs.js';
import { defaultConfigNames, loadConfigFile } from './config-file.js';
import { certsCommand, certsOptions, type CertsArguments } from './certs-command.js';
import { ExitCode } from './exit-codes.js';
import { serveCommand, serveOptions, type ServeArguments } from './serve-command.js';
import { runCommand, runOptions, type RunArguments } from './run-command.js';

/**
 * The command line. Every failure ends as one line on stderr and a distinct
 * exit code (see exit-codes.ts). Never a stack trace.
 */
async function main(args: string[]): Promise<number> {
  let exitCode: number = ExitCode.passed;
  await yargs(args)
    .scriptName('mtlspec')
    .usage('$0 <command> [options]\n\nConformance and negative tests for mTLS servers: does yours refuse every client it must refuse?')
    // The config file and MTLSPEC_* variables hold run settings, so only `run` reads them.
    .command<RunArguments>(
      'run',
      'Run the conformance scenarios against the built-in servers or --target',
      (command) =>
        runOptions(
          command
            .option('config', { type: 'string', describe: `Config file (JSON or YAML) whose keys are the long option names; default: ${defaultConfigNames.join(', ')} in the current directory` })
            .config(loadConfigFile(explicitConfigPath(args)))
            .env('MTLSPEC'),
        ),
      async (argv) => {
        exitCode = await runCommand(argv);
      },
    )
    .command<CertsArguments>('certs', 'Write a ready mTLS test PKI (CA, server and client certificates and keys) as PEM files', certsOptions, async (argv) => {
      exitCode = await certsCommand(argv);
    })
    .command<ServeArguments>('serve <protocol>', 'Run one built-in reference server (grpc, http2 or tls) until Ctrl-C, with its PKI on disk', serveOptions, async (argv) => {
      exitCode = await serveCommand(argv);
    })
    .demandCommand(1, 'name a command: run, certs or serve')
    .strict()
    .help()
    .version()
    .wrap(Math.min(120, process.stdout.columns || 120))
    .fail((message, error) => {
      throw error instanceof InputError ? error : new InputError(message || error?.message || 'invalid command line');
    })
    .parseAsync();
  return exitCode;
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

// `mtlspec run | head` closes stdout early: stop quietly, as Unix tools do, instead of reporting an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? ExitCode.passed);
  throw error;
});

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = oneLine(error instanceof Error ? error.message : String(error));
    if (error instanceof InputError) {
      process.stderr.write(`mtlspec: ${message}\n`);
      process.exitCode = ExitCode.usage;
    } else {
      process.stderr.write(`mtlspec: internal error: ${message}\n`);
      process.exitCode = ExitCode.internal;
    }
  },
);
