import type { Argv } from 'yargs';
import { defaultLogFormat, logLevels, type LogFormat, type LogLevel } from '../log.js';
import { runSuite } from '../run/run-suite.js';
import { defaultClientSpiffeId, defaultTimeoutMs, type RunSettings } from '../run/settings.js';
import { scenarioLine, summaryLine } from '../report/terminal.js';
import { allServerFlaws, type ServerFlaw } from '../servers/types.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';

export interface RunArguments {
  'report-dir': string;
  timeout: number;
  tags: string | undefined;
  flaw: ServerFlaw[];
  'log-level': LogLevel;
  'log-format': LogFormat;
}

export function runOptions(yargs: Argv): Argv<RunArguments> {
  return yargs
    .option('report-dir', { type: 'string', default: 'reports', describe: 'Where conformance.html, junit.xml and messages.ndjson are written' })
    .option('timeout', { type: 'number', default: defaultTimeoutMs, describe: 'Milliseconds one probe may take, connect to answer' })
    .option('tags', { type: 'string', describe: 'Cucumber tag expression selecting scenarios, e.g. "@grpc and not @spiffe"' })
    .option('flaw', {
      type: 'array',
      choices: allServerFlaws,
      default: [] as ServerFlaw[],
      describe: 'Switch on a deliberate flaw in the built-in servers, to watch the harness catch it',
    })
    .option('log-level', { choices: logLevels, default: 'warn' as LogLevel, describe: 'Diagnostic logs on stderr (info: servers and targets; debug: every probe)' })
    .option('log-format', { choices: ['pretty', 'json'] as const, default: defaultLogFormat(), describe: 'pretty for a terminal, json for CI and scripts' })
    .check((argv) => {
      if (!Number.isFinite(argv.timeout) || argv.timeout <= 0) throw new Error(`--timeout must be a positive number of milliseconds (got ${argv.timeout})`);
      return true;
    })
    .example('$0 run', 'Run every scenario against the built-in gRPC and HTTP/2 reference servers')
    .example('$0 run --tags @grpc', 'Only the gRPC scenarios')
    .example('$0 run --flaw accept-any-cert', 'Watch the harness catch a server that accepts any client certificate') as unknown as Argv<RunArguments>;
}

export async function runCommand(argv: RunArguments): Promise<number> {
  const settings: RunSettings = {
    mode: 'reference',
    protocols: ['grpc', 'http2'],
    flaws: argv.flaw,
    clientSpiffeId: defaultClientSpiffeId,
    timeoutMs: argv.timeout,
    logLevel: argv['log-level'],
    logFormat: argv['log-format'],
  };
  const flaws = settings.flaws.length > 0 ? ` with flaws: ${settings.flaws.join(', ')}` : '';
  process.stdout.write(`mtlspec: built-in reference servers (gRPC, HTTP/2)${flaws}\n`);
  const run = await runSuite({
    settings,
    reportDir: argv['report-dir'],
    ...(argv.tags ? { tags: argv.tags } : {}),
    onResult: (result) => process.stdout.write(`${scenarioLine(result)}\n`),
  });
  if (run.results.length === 0) {
    process.stderr.write(`mtlspec: no scenario matched${argv.tags ? ` the tags "${argv.tags}"` : ''}\n`);
    return ExitCode.usage;
  }
  process.stdout.write(`${summaryLine(run.results, run.wallMs, run.reports.html)}\n`);
  return exitCodeFor(run.results);
}
