import { writeFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { clientCases } from '../../fixtures/client-cases.js';
import { selectCases } from '../catalogue/case.js';
import { defaultProfileName, profileNames } from '../catalogue/profiles.js';
import { placeholderNames } from '../client/client-process.js';
import { runClientCases } from '../client/client-run.js';
import { selectClientCases } from '../client/selection.js';
import { sweepAbandonedPrivateDirs } from '../pki/private-dir.js';
import { renderIndexPage } from '../report/index-page.js';
import { renderJunit } from '../report/junit.js';
import { buildRunResults, writeRunResults } from '../report/run-results.js';
import { scenarioLine, summaryLine, terminalStyle, totalsTable } from '../report/terminal.js';
import { InputError } from '../run/inputs.js';
import { ReportDir, reportPaths } from '../run/report-dir.js';
import { defaultClientSpiffeId, defaultTimeoutMs, maxTimeoutMs } from '../run/settings.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { namePatterns, validateTags } from './run-command.js';
import { spiffeIdProblem } from './spiffe-id.js';

export interface ClientArguments {
  exec: string | undefined;
  listen: number | undefined;
  port: number | undefined;
  'report-dir': string;
  'pki-dir': string | undefined;
  timeout: number;
  tags: string | undefined;
  case: string[];
  strict: boolean;
  quiet: boolean;
  profile: string | undefined;
  'server-spiffe-id': string | undefined;
  'spiffe-id': string | undefined;
}

const placeholders = placeholderNames.map((name) => `{${name}}`).join(' ');

export function clientOptions(yargs: Argv): Argv<ClientArguments> {
  return yargs
    .option('exec', { type: 'string', describe: `The client under test, run once per case through /bin/sh; placeholders: ${placeholders}` })
    .option('listen', { type: 'number', describe: 'Instead of --exec: listen on this port for a client that connects by itself, a case per connection in order, or by SNI <case>.localhost' })
    .option('port', { type: 'number', describe: '--exec: the port mtlspec serves on (default: a free one, given to the client as {port})' })
    .option('report-dir', { type: 'string', default: 'reports', describe: 'Where index.html, junit.xml and results.json are written' })
    .option('pki-dir', { type: 'string', describe: 'Keep the CA and the client credential ({ca} {cert} {key}) in this folder; default: a private temp folder removed on exit' })
    .option('timeout', { type: 'number', default: defaultTimeoutMs, describe: 'Milliseconds one case may take (the client is killed after it); --listen: the longest wait for the next connection' })
    .option('tags', { type: 'string', describe: 'Cucumber tag expression over features/clients, e.g. "@chain or @name"' })
    .option('case', { type: 'array', string: true, default: [] as string[], describe: 'Run only these cases: an id (client/validity/expired) or a prefix (client/chain); repeatable. The control client/valid always runs' })
    .option('strict', { type: 'boolean', default: false, describe: 'SHOULD-level findings (a missing alert, a SHOULD case) fail the run' })
    .option('quiet', { type: 'boolean', default: false, describe: 'Print the summary line only (and errors)' })
    .option('profile', { type: 'string', describe: `The policy the cases are judged against: ${profileNames.join(', ')} (default ${defaultProfileName})` })
    .option('server-spiffe-id', { type: 'string', describe: 'The SPIFFE ID the client authorizes for its server: put into the valid server certificate, and runs client/spiffe/wrong-id' })
    .option('spiffe-id', { type: 'string', describe: `The SPIFFE ID in the client credential {cert} (default ${defaultClientSpiffeId})` })
    .example("$0 client --exec 'curl -sS --tlsv1.3 --cacert {ca} --cert {cert} --key {key} {url}'", 'curl, once per case')
    .example("$0 client --exec 'python3 my_client.py --ca {ca} --port {port}' --case client/chain", 'Your client, the chain cases only')
    .example('$0 client --listen 8443 --pki-dir ./pki', 'A long-running client: point it at localhost:8443 with ./pki/ca.pem as its CA') as unknown as Argv<ClientArguments>;
}

interface ClientSettings {
  readonly mode: { kind: 'exec'; command: string } | { kind: 'listen' };
  readonly port: number;
}

/** Every check of the command line, before anything listens or runs: one sentence each (exit 2). */
function checkArguments(argv: ClientArguments): ClientSettings {
  const single = (['exec', 'listen', 'port', 'report-dir', 'pki-dir', 'timeout', 'tags', 'profile', 'server-spiffe-id', 'spiffe-id'] as const).find((flag) => Array.isArray(argv[flag]));
  if (single) throw new InputError(`--${single} was given more than once; give it once`);
  if (argv.exec !== undefined && argv.listen !== undefined) throw new InputError('--exec and --listen exclude each other: mtlspec either starts the client per case or waits for it');
  if (argv.exec === undefined && argv.listen === undefined) throw new InputError(`name the client under test: --exec 'COMMAND' (placeholders ${placeholders}) or --listen PORT`);
  if (!Number.isFinite(argv.timeout) || argv.timeout <= 0 || argv.timeout > maxTimeoutMs) throw new InputError(`--timeout must be a positive number of milliseconds, at most ${maxTimeoutMs} (got ${argv.timeout})`);
  const port = (flag: string, value: number): number => {
    if (!Number.isInteger(value) || value < 0 || value > 65535) throw new InputError(`${flag} must be a port number 0..65535 (got ${value})`);
    return value;
  };
  if (argv.tags !== undefined) validateTags(argv.tags);
  if (argv.profile !== undefined && !profileNames.includes(argv.profile)) throw new InputError(`--profile "${argv.profile}" is not a profile; profiles: ${profileNames.join(', ')}`);
  for (const flag of ['server-spiffe-id', 'spiffe-id'] as const) {
    const id = argv[flag];
    const problem = id === undefined ? undefined : spiffeIdProblem(id);
    if (problem) throw new InputError(`--${flag} "${id}" is not a SPIFFE ID: ${problem}`);
  }
  const unknownCase = argv.case.find((selector) => selectCases(clientCases, [selector]).length === 0);
  if (unknownCase) throw new InputError(`--case "${unknownCase}" matches no client case; ids look like ${clientCases.slice(0, 3).map((c) => c.id).join(', ')}`);
  if (argv.exec !== undefined) {
    if (argv.exec.trim() === '') throw new InputError('--exec is empty: give the command that runs the client under test');
    // Without the port the client cannot find mtlspec, and would make every case inconclusive after its timeout.
    if (argv.port === undefined && !/\{(url|port)\}/.test(argv.exec)) throw new InputError('--exec must use {url} or {port}: mtlspec listens on a free port each run (or fix one with --port)');
    return { mode: { kind: 'exec', command: argv.exec }, port: port('--port', argv.port ?? 0) };
  }
  if (argv.port !== undefined) throw new InputError('--port is for --exec; with --listen, the port is the one --listen names');
  return { mode: { kind: 'listen' }, port: port('--listen', argv.listen ?? 0) };
}

/**
 * `mtlspec client`: mtlspec plays a hostile server, presenting one defective
 * server credential per case, and judges whether the client under test
 * refused each (sent no application data over it). Same reports and exit
 * codes as `run`.
 */
export async function clientCommand(argv: ClientArguments): Promise<number> {
  const settings = checkArguments(argv);
  const selected = await selectClientCases(argv.tags, namePatterns(argv.case));
  if (selected.length === 0) {
    process.stderr.write(`mtlspec: no client case matched${argv.tags ? ` the tags "${argv.tags}"` : ''}\n`);
    return ExitCode.usage;
  }
  sweepAbandonedPrivateDirs();
  const reportDir = ReportDir.claim(argv['report-dir']);
  try {
    const style = terminalStyle();
    const say = (line: string): void => {
      if (!argv.quiet) process.stdout.write(`${line}\n`);
    };
    if (settings.mode.kind === 'exec') say(`mtlspec: client under test: ${settings.mode.command}`);
    let end;
    try {
      end = await runClientCases({
        mode: settings.mode,
        port: settings.port,
        timeoutMs: argv.timeout,
        strict: argv.strict,
        profile: argv.profile ?? defaultProfileName,
        serverSpiffeId: argv['server-spiffe-id'],
        clientSpiffeId: argv['spiffe-id'] ?? defaultClientSpiffeId,
        cases: selected,
        pkiDir: argv['pki-dir'],
        announce: (line) => process.stdout.write(`${line}\n`),
        onResult: (result, progress) => say(scenarioLine(result, style, progress)),
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES') throw new InputError(`port ${settings.port} cannot be used (${code === 'EADDRINUSE' ? 'in use' : 'not allowed'}): give another, or 0 for any free one`);
      throw error;
    }
    if (end.kind === 'bad-command') throw new InputError(end.reason);
    if (end.kind === 'control-refused') {
      process.stderr.write(`mtlspec: ${end.reason}\n`);
      return ExitCode.inconclusive;
    }
    const results = buildRunResults(end.results, { startedAt: end.startedAt, wallMs: Math.round(end.wallMs), strict: argv.strict, flaws: [] });
    const staged = reportPaths(reportDir.staging);
    writeRunResults(staged.results, results);
    writeFileSync(staged.junit, renderJunit(results));
    writeFileSync(staged.index, renderIndexPage(results));
    const reports = reportDir.publish(staged);
    say(totalsTable(end.results, { ...reports, html: reports.index }, style));
    process.stdout.write(`${summaryLine(end.results, end.wallMs, reports.index)}\n`);
    return exitCodeFor(end.results);
  } finally {
    reportDir.release();
  }
}
