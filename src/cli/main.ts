import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ExitCode } from './exit-codes.js';
import { runCommand, runOptions, type RunArguments } from './run-command.js';

/**
 * The command line. Every failure ends as one line on stderr and a distinct
 * exit code: usage errors 2, internal errors 4. Never a stack trace.
 */
async function main(args: string[]): Promise<number> {
  let exitCode: number = ExitCode.passed;
  await yargs(args)
    .scriptName('mtlspec')
    .usage('$0 <command> [options]\n\nConformance and negative tests for mTLS servers.')
    .command<RunArguments>('run', 'Run the conformance scenarios', runOptions, async (argv) => {
      exitCode = await runCommand(argv);
    })
    .demandCommand(1, 'name a command: run')
    .strict()
    .help()
    .version()
    .fail((message, error) => {
      throw new UsageError(message || error?.message || 'invalid command line');
    })
    .parseAsync();
  return exitCode;
}

class UsageError extends Error {}

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof UsageError) {
      process.stderr.write(`mtlspec: ${oneLine(message)} (see mtlspec --help)\n`);
      process.exitCode = ExitCode.usage;
    } else {
      process.stderr.write(`mtlspec: internal error: ${oneLine(message)}\n`);
      process.exitCode = ExitCode.internal;
    }
  },
);

/** yargs and Node write multi-line messages; the CLI promises one line. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
