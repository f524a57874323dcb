import type { Argv } from 'yargs';
import { defaultLogFormat, logLevels, type LogFormat, type LogLevel } from '../log.js';
import { InputError, loadCredentials, readCaBundle } from '../run/inputs.js';
import { preflight } from '../run/preflight.js';
import { RunSession } from '../run/session.js';
import type { SuiteRun } from '../run/run-suite.js';
import {
  maxTimeoutMs,
  maxRepeat,
  defaultClientSpiffeId,
  referenceServerSpiffeId,
  defaultTimeoutMs,
  referenceProtocols,
  type CredentialSource,
  type ReferenceFlaw,
  type RunSettings,
  type TargetSettings,
} from '../run/settings.js';
import { writeFileSync } from 'node:fs';
import { parse as parseTagExpression } from '@cucumber/tag-expressions';
import { sweepAbandonedPrivateDirs } from '../pki/private-dir.js';
import { ReportDir } from '../run/report-dir.js';
import { renderIndexPage } from '../report/index-page.js';
import { renderJunit } from '../report/junit.js';
import { buildRunResults, writeRunResults } from '../report/run-results.js';
import { findingLines, scenarioLine, summaryLine, terminalStyle, totalsTable } from '../report/terminal.js';
import { allServerFlaws } from '../servers/types.js';
import { allTokenFlaws } from '../token/verifier.js';
import { diagnosisLines } from '../diagnosis/terminal-lines.js';
import { allServerCertificateFlaws } from '../run/server-certificate-flaws.js';
import { parseTargetUrl, targetLabels, TargetUrlError, tokenTargetKey, type TargetKey } from '../target/target.js';
import { spokenLine } from '../probe/alpn.js';
import { ExitCode } from './exit-codes.js';
import { spiffeIdProblem } from './spiffe-id.js';
import { cases } from '../../fixtures/cases.js';
import { selectCases, type TargetKnowledge } from '../catalogue/case.js';
import { defaultProfileName, findProfile, profileNames } from '../catalogue/profiles.js';
import { gatedExitCode, gateFindings, gatePolicyFrom, gateSummary, type GatePolicy } from '../run/finding-gate.js';
import { writeBaseline } from '../report/baseline.js';
import { gateLines } from '../report/gate-lines.js';
import { givenTokenFlags, tokenSettingsFrom, tokenSingleValueFlags, type TokenArguments } from './token-options.js';
import { backendsNotice } from '../proxy/connection-evidence.js';
import { optInTagsLeftOut } from '../proxy/opt-in.js';
import { backendLines, backendUrlProblem, exitWithBackend, runBackendChecks } from '../proxy/backend-check.js';
import { echoPatternProblem, referenceEchoPattern } from '../proxy/identity-echo.js';

export interface RunArguments extends TokenArguments {
  target: string | undefined;
  'ca-cert': string | undefined;
  'ca-key': string | undefined;
  'client-cert': string | undefined;
  'client-key': string | undefined;
  'client-p12': string | undefined;
  'ca-p12': string | undefined;
  'p12-password-env': string | undefined;
  'server-ca': string | undefined;
  servername: string | undefined;
  'spiffe-id': string | undefined;
  send: string | undefined;
  expect: string | undefined;
  http1: boolean;
  http2: boolean;
  'report-dir': string;
  timeout: number;
  rate: number | undefined;
  repeat: number | undefined;
  'identity-echo': string | undefined;
  backend: string | undefined;
  tags: string | undefined;
  case: string[];
  strict: boolean;
  quiet: boolean;
  'server-spiffe-id': string | undefined;
  'crl-out': string | undefined;
  'target-has-crl': boolean;
  flaw: ReferenceFlaw[];
  'log-level': LogLevel;
  'log-format': LogFormat;
  profile: string | undefined;
  baseline: string | undefined;
  'write-baseline': string | undefined;
  /** The config file's waivers: list (or JSON text from --waivers / MTLSPEC_WAIVERS), checked by parseWaivers. */
  waivers: unknown;
}

/**
 * A probe that has not answered in 2 minutes will not: a larger value only
 * makes a silent target hold the run (and the credentials minted from the
 * user's CA, valid for an hour) for longer.
 */

/**
 * Checked on its own, before the network and before it is combined with
 * the protocol tags: a bad expression would otherwise surface from inside
 * cucumber as an internal error, and an unbalanced one such as
 * "@x) or (@grpc" could even escape the protocol filter it is put in.
 */
export function validateTags(tags: string): void {
  try {
    parseTagExpression(tags);
  } catch (error) {
    const why = error instanceof Error ? error.message.replace(/^Tag expression ".*" could not be parsed because of /, '') : String(error);
    throw new InputError(`--tags "${tags}" is not a tag expression: ${why}`);
  }
}

const singleValueFlags = [
  'target', 'ca-cert', 'ca-key', 'client-cert', 'client-key', 'client-p12', 'ca-p12', 'p12-password-env', 'server-ca', 'servername',
  'spiffe-id', 'send', 'expect', 'report-dir', 'timeout', 'rate', 'repeat', 'identity-echo', 'backend', 'tags', 'log-level', 'log-format', 'server-spiffe-id', 'crl-out', 'profile', 'baseline', 'write-baseline',
  ...tokenSingleValueFlags,
] as const satisfies ReadonlyArray<keyof RunArguments>;

/** Above this, --rate limits nothing a one-connection-at-a-time run could reach. */
const maxRatePerSecond = 1000;

export function runOptions(yargs: Argv): Argv<RunArguments> {
  return yargs
    .option('target', { type: 'string', describe: 'The server to test: grpcs://host:port[/pkg.Service/Method], https://host:port/path or tls://host:port. Without it, the built-in reference servers' })
    .option('ca-cert', { type: 'string', describe: 'PEM of a client-issuing CA the target trusts (with --ca-key: every case can be minted)' })
    .option('ca-key', { type: 'string', describe: "PEM private key of that CA; kept in memory, never written or logged" })
    .option('client-cert', { type: 'string', describe: 'PEM of one valid client certificate (and any intermediates after it), instead of a CA' })
    .option('client-key', { type: 'string', describe: 'PEM private key of --client-cert' })
    .option('client-p12', { type: 'string', describe: 'PKCS#12 (.p12/.pfx) file of one valid client credential (key, certificate, intermediates), instead of --client-cert/--client-key' })
    .option('ca-p12', { type: 'string', describe: 'PKCS#12 file of a client-issuing CA the target trusts (key and certificate), instead of --ca-cert/--ca-key' })
    .option('p12-password-env', { type: 'string', describe: 'The environment variable holding the PKCS#12 password; without it the password is asked on the terminal' })
    .option('server-ca', { type: 'string', describe: "PEM of the CA(s) that issued the target's own certificate (default: system roots)" })
    .option('servername', { type: 'string', describe: 'TLS server name (SNI) and the name the server certificate must match, when not the URL host' })
    .option('spiffe-id', {
      type: 'string',
      describe: `The client SPIFFE ID the target authorizes, minted into the valid credential (default ${defaultClientSpiffeId}). Naming it for --target also runs the SPIFFE authorization cases`,
    })
    .option('send', { type: 'string', describe: 'tls:// only: text written after the handshake; a reply proves acceptance. \\n, \\r, \\t and \\\\ are unescaped (e.g. "Hello server\\n")' })
    .option('expect', { type: 'string', describe: 'tls:// only: a regular expression the reply must match to count as accepted; any other reply is a refusal (e.g. "^OK")' })
    .option('http1', { type: 'boolean', default: false, describe: 'https:// only: speak HTTP/1.1 (offer ALPN http/1.1 alone). By default the server picks h2 or HTTP/1.1' })
    .option('http2', { type: 'boolean', default: false, describe: 'https:// only: speak HTTP/2 (offer ALPN h2 alone); a server that does not pick it cannot be judged' })
    .option('report-dir', { type: 'string', default: 'reports', describe: 'Where conformance.html, junit.xml and messages.ndjson are written' })
    .option('timeout', { type: 'number', default: defaultTimeoutMs, describe: 'Milliseconds one probe may take, connect to answer' })
    .option('rate', {
      type: 'number',
      describe: 'At most N new connections per second to the target (a rate-limited server). Connections are always made one at a time; a probe the target sheds (429, 503, REFUSED_STREAM, GOAWAY, a reset before the certificate) is retried with backoff',
    })
    .option('repeat', {
      type: 'number',
      describe: `Probe each case, and the valid control around it, on N fresh connections (2..${maxRepeat}): behind a load balancer each may reach another backend, and a negative case passes only if every connection refused it. Use the number of backends`,
    })
    .option('identity-echo', {
      type: 'string',
      describe: 'A regular expression that finds, in the answer to the valid credential, the identity the application took the caller for (group 1 if it has one), e.g. \'"caller":"([^"]*)"\'. Judges the load-balancing and forged-identity-header cases (@balanced, @proxy-identity), and runs them',
    })
    .option('backend', {
      type: 'string',
      describe: 'With --target behind a TLS-terminating proxy: the service behind it (http:// or https://), tried directly with forged identity headers and a forged PROXY v2 header; serving any of them fails the run',
    })
    .option('tags', { type: 'string', describe: 'Cucumber tag expression selecting scenarios, e.g. "@validity or @spiffe"' })
    .option('case', { type: 'array', string: true, default: [] as string[], describe: 'Run only these cases: an id (x509/validity/expired) or a prefix (x509/validity); repeatable' })
    .option('quiet', { type: 'boolean', default: false, describe: 'Print the summary line only (and errors)' })
    .option('strict', { type: 'boolean', default: false, describe: 'SHOULD-level findings (a wrong or missing alert, a SHOULD case) fail the run instead of warning' })
    .option('server-spiffe-id', { type: 'string', describe: "The SPIFFE ID the server must present; checks the server certificate's URI SAN" })
    .option('crl-out', { type: 'string', describe: "With --ca-key: write the CA's CRL, listing mtlspec's revoked test serial, to this file (load it into the target)" })
    .option('target-has-crl', { type: 'boolean', default: false, describe: 'The target has loaded the CRL written by --crl-out: run the revocation case' })
    .option('flaw', {
      type: 'array',
      choices: [...allServerFlaws, ...allServerCertificateFlaws, ...allTokenFlaws],
      default: [] as ReferenceFlaw[],
      describe: 'Built-in servers only: switch on a deliberate flaw, to watch the harness catch it',
    })
    .option('jwt-key', { type: 'string', describe: "--target: the token issuer's private key (PEM or JWK): every request carries a token minted with it, and every token case runs; kept in memory, never logged" })
    .option('jwt-kid', { type: 'string', describe: 'The kid the target knows that key by (default: the JWK\'s kid, else its RFC 7638 thumbprint)' })
    .option('jwt-iss', { type: 'string', describe: 'The iss the target expects; also runs the wrong-issuer case' })
    .option('jwt-aud', { type: 'string', describe: 'The aud the target expects; also runs the wrong-audience case' })
    .option('jwt-claims', { type: 'string', describe: 'Extra claims every minted token carries, as a JSON object, e.g. \'{"scope":"read"}\'' })
    .option('jwt-bound', { type: 'boolean', default: false, describe: 'The target requires certificate-bound tokens (RFC 8705): runs the cnf cases' })
    .option('token', { type: 'string', describe: 'One valid token instead of --jwt-key: cases that need the issuer key are skipped. Prefer --token-file or MTLSPEC_TOKEN: a flag shows in the process list' })
    .option('token-file', { type: 'string', describe: 'A file holding one valid token (as --token)' })
    .option('profile', { type: 'string', describe: `The policy the cases are judged against: ${profileNames.join(', ')} (default ${defaultProfileName}; see docs/rules.md)` })
    .option('baseline', { type: 'string', describe: 'A file written by --write-baseline: only findings not in it fail the run; those gone are reported too' })
    .option('write-baseline', { type: 'string', describe: "Record this run's findings (case, target, status) in this file, as sorted JSON, and accept them for this run" })
    .option('waivers', { hidden: true, describe: 'Accepted findings, each with case, reason and optionally target and expires (YYYY-MM-DD); set in the config file' })
    .option('log-level', { choices: logLevels, default: 'warn' as LogLevel, describe: 'Diagnostic logs on stderr (info: servers and targets; debug: every probe)' })
    .option('log-format', { choices: ['pretty', 'json'] as const, default: defaultLogFormat(), describe: 'pretty for a terminal, json for CI and scripts' })
    .example('$0 run', 'Every scenario against the built-in gRPC, HTTP/2 and raw-TLS reference servers')
    .example('$0 run --target https://localhost:8443/hello --ca-cert ca.pem --ca-key ca.key --server-ca ca.pem', 'Your HTTP/2 server, with the CA it trusts for clients: every case')
    .example('$0 run --target grpcs://localhost:50051 --client-cert client.pem --client-key client.key --server-ca ca.pem', 'Your gRPC server (health check), with one client credential: cases that need the CA key are skipped')
    .example('$0 run --target tls://localhost:4433 --send "Hello server\\n" --ca-cert ca.pem --ca-key ca.key --server-ca ca.pem', 'A raw TLS server that answers a line')
    .example('$0 run --target tls://localhost:4433 --send "PING\\n" --expect "^PONG" --ca-cert ca.pem --ca-key ca.key --server-ca ca.pem', 'Only a reply matching --expect proves acceptance; any other reply is a refusal')
    .example('$0 run --target https://localhost:8443/ --http1 --ca-cert ca.pem --ca-key ca.key --server-ca ca.pem', 'Force HTTP/1.1 (by default the server picks h2 or HTTP/1.1 by ALPN)')
    .example('$0 run --flaw accept-any-cert', 'Watch the harness catch a server that accepts any client certificate')
    .example('$0 run --case x509/validity/expired --case spiffe', 'One case, and every SPIFFE case (ids as in h2spec)')
    .example('MTLSPEC_TARGET=https://localhost:8443/ $0 run --ca-cert ca.pem --ca-key ca.key', 'Settings also come from MTLSPEC_* variables and mtlspec.config.json/.yaml; flags win') as unknown as Argv<RunArguments>;
}

/**
 * Turns flags into run settings, refusing anything inconsistent with one
 * sentence. Reads and checks every file named, so a bad PEM is reported
 * before the network is touched.
 */
export async function settingsFromArguments(argv: RunArguments): Promise<RunSettings> {
  // yargs turns a repeated flag into a list; every flag here but --flaw takes one value.
  const repeated = singleValueFlags.find((flag) => Array.isArray(argv[flag]));
  if (repeated) throw new InputError(`--${repeated} was given more than once; give it once`);
  if (!Number.isFinite(argv.timeout) || argv.timeout <= 0) throw new InputError(`--timeout must be a positive number of milliseconds (got ${argv.timeout})`);
  if (argv.rate !== undefined && (!Number.isFinite(argv.rate) || argv.rate <= 0 || argv.rate > maxRatePerSecond)) {
    throw new InputError(`--rate must be a number of connections per second above 0 and at most ${maxRatePerSecond} (got ${argv.rate})`);
  }
  if (argv.repeat !== undefined && (!Number.isInteger(argv.repeat) || argv.repeat < 1 || argv.repeat > maxRepeat)) {
    throw new InputError(`--repeat must be a whole number of connections from 1 to ${maxRepeat} (got ${argv.repeat})`);
  }
  if (argv['identity-echo'] !== undefined) {
    const problem = echoPatternProblem(argv['identity-echo']);
    if (problem) throw new InputError(`--identity-echo "${argv['identity-echo']}" is not a regular expression: ${problem}`);
  }
  if (argv.timeout > maxTimeoutMs) throw new InputError(`--timeout must be at most ${maxTimeoutMs} ms (2 minutes) for one probe (got ${argv.timeout})`);
  if (argv.tags !== undefined) validateTags(argv.tags);
  const spiffeId = argv['spiffe-id'] ?? defaultClientSpiffeId;
  const spiffeProblem = spiffeIdProblem(spiffeId);
  if (spiffeProblem) throw new InputError(`--spiffe-id "${spiffeId}" is not a SPIFFE ID: ${spiffeProblem}`);
  if (argv['server-spiffe-id'] !== undefined) {
    const problem = spiffeIdProblem(argv['server-spiffe-id']);
    if (problem) throw new InputError(`--server-spiffe-id "${argv['server-spiffe-id']}" is not a SPIFFE ID: ${problem}`);
  }
  if (argv.profile !== undefined && !findProfile(argv.profile)) throw new InputError(`--profile "${argv.profile}" is not a profile; profiles: ${profileNames.join(', ')}`);
  const unknownCase = argv.case.find((selector) => selectCases(cases, [selector]).length === 0);
  if (unknownCase) throw new InputError(`--case "${unknownCase}" matches no case; ids look like ${cases.slice(0, 3).map((c) => c.id).join(', ')} (mtlspec cases lists them all)`);
  const common = {
    clientSpiffeId: spiffeId,
    timeoutMs: argv.timeout,
    strict: argv.strict,
    caseSelectors: argv.case,
    ...(argv.profile !== undefined ? { profile: argv.profile } : {}),
    ...(argv.rate !== undefined ? { ratePerSecond: argv.rate } : {}),
    ...(argv.repeat !== undefined && argv.repeat > 1 ? { repeat: argv.repeat } : {}),
    ...(argv['identity-echo'] !== undefined ? { identityEcho: argv['identity-echo'] } : {}),
    ...(argv['server-spiffe-id'] !== undefined ? { serverSpiffeId: argv['server-spiffe-id'] } : {}),
    logLevel: argv['log-level'],
    logFormat: argv['log-format'],
  };

  const externalOnly = [
    ...(['ca-cert', 'ca-key', 'client-cert', 'client-key', 'client-p12', 'ca-p12', 'p12-password-env', 'server-ca', 'servername', 'send', 'expect'] as const).filter((flag) => argv[flag] !== undefined),
    ...httpFlags(argv),
    ...givenTokenFlags(argv),
  ];
  const http = httpChoice(argv);
  if (!argv.target) {
    if (externalOnly.length > 0) throw new InputError(`--${externalOnly[0]} needs --target: the built-in servers make their own PKI and token issuer`);
    if (argv.backend !== undefined) throw new InputError('--backend needs --target: it is the service behind the target\'s proxy');
    if (argv['crl-out'] || argv['target-has-crl']) throw new InputError('--crl-out and --target-has-crl need --target: the built-in servers load their CRL themselves');
    // The reference servers' policy is ours: every fact about it is known.
    return {
      ...common,
      // The built-in HTTP/2 server names its caller in its JSON answer.
      identityEcho: argv['identity-echo'] ?? referenceEchoPattern,
      serverSpiffeId: argv['server-spiffe-id'] ?? referenceServerSpiffeId,
      knowledge: ['spiffe-authorization', 'crl-loaded', 'server-spiffe-id', 'jwt-issuer', 'jwt-audience', 'certificate-bound-tokens', 'attacker-key-urls-reachable'],
      target: { kind: 'reference', protocols: referenceProtocols, flaws: argv.flaw },
    };
  }
  if (argv.flaw.length > 0) throw new InputError('--flaw applies to the built-in servers only, not to --target');
  let parsedTarget;
  if (argv.backend !== undefined) {
    const problem = backendUrlProblem(argv.backend);
    if (problem) throw new InputError(`--backend "${argv.backend}" ${problem}`);
  }
  try {
    parsedTarget = parseTargetUrl(argv.target, { ...(argv.send !== undefined ? { send: argv.send } : {}), ...(argv.expect !== undefined ? { expect: argv.expect } : {}), ...(http ? { http } : {}) });
  } catch (error) {
    if (error instanceof TargetUrlError) throw new InputError(`--target: ${error.message}`);
    throw error;
  }
  const credentials = credentialSource(argv);
  const loaded = await loadCredentials(credentials);
  const token = await tokenSettingsFrom(argv, parsedTarget, credentials, loaded.kind === 'client' ? loaded.credential.certPem : undefined);
  if (argv['server-ca']) readCaBundle(argv['server-ca'], '--server-ca');
  const target: TargetSettings = {
    kind: 'external',
    url: argv.target,
    credentials,
    ...(argv.servername ? { servername: argv.servername } : {}),
    ...(argv['server-ca'] ? { serverCaFile: argv['server-ca'] } : {}),
    ...(argv.send !== undefined ? { send: unescapeSend(argv.send) } : {}),
    ...(argv.expect !== undefined ? { expect: argv.expect } : {}),
    ...(http ? { http } : {}),
  };
  if (argv['crl-out'] && credentials.kind !== 'ca') throw new InputError('--crl-out needs --ca-cert and --ca-key: the CRL is signed by the CA');
  // An external target's policy is known only as far as the user declares it.
  const knowledge: TargetKnowledge[] = [
    ...(argv['spiffe-id'] !== undefined ? (['spiffe-authorization'] as const) : []),
    ...(argv['target-has-crl'] ? (['crl-loaded'] as const) : []),
    ...(argv['server-spiffe-id'] !== undefined ? (['server-spiffe-id'] as const) : []),
    ...token.knowledge,
  ];
  return { ...common, knowledge, target, ...(argv['crl-out'] ? { crlOut: argv['crl-out'] } : {}), ...(token.tokens ? { tokens: token.tokens } : {}), ...(argv.backend !== undefined ? { backend: argv.backend } : {}) };
}

function httpFlags(argv: RunArguments): Array<'http1' | 'http2'> {
  return (['http1', 'http2'] as const).filter((flag) => argv[flag] === true);
}

/** --http1 or --http2, never both. */
function httpChoice(argv: RunArguments): 'http1' | 'http2' | undefined {
  const flags = httpFlags(argv);
  if (flags.length > 1) throw new InputError('--http1 and --http2 exclude each other; give one, or neither to let the server pick');
  return flags[0];
}

function credentialSource(argv: RunArguments): CredentialSource {
  const ca = pair(argv, 'ca-cert', 'ca-key');
  const client = pair(argv, 'client-cert', 'client-key');
  if (ca && client) throw new InputError('give either --ca-cert/--ca-key or --client-cert/--client-key, not both');
  const given = [...(ca ? ['--ca-cert/--ca-key'] : []), ...(client ? ['--client-cert/--client-key'] : []), ...(['ca-p12', 'client-p12'] as const).filter((flag) => argv[flag] !== undefined).map((flag) => `--${flag}`)];
  if (given.length > 1) throw new InputError(`give one credential: ${given.join(' or ')}, not ${given.length > 2 ? 'several' : 'both'}`);
  const passwordEnv = argv['p12-password-env'];
  if (passwordEnv !== undefined && argv['ca-p12'] === undefined && argv['client-p12'] === undefined) throw new InputError('--p12-password-env needs --client-p12 or --ca-p12');
  const p12 = (file: string): { p12File: string; passwordEnv?: string } => ({ p12File: file, ...(passwordEnv !== undefined ? { passwordEnv } : {}) });
  if (ca) return { kind: 'ca', ...ca };
  if (client) return { kind: 'client', ...client };
  if (argv['ca-p12'] !== undefined) return { kind: 'ca', ...p12(argv['ca-p12']) };
  if (argv['client-p12'] !== undefined) return { kind: 'client', ...p12(argv['client-p12']) };
  throw new InputError('--target needs a client credential the target trusts: --ca-cert and --ca-key, or --client-cert and --client-key (or --ca-p12, --client-p12)');
}

function pair(argv: RunArguments, certFlag: 'ca-cert' | 'client-cert', keyFlag: 'ca-key' | 'client-key'): { certFile: string; keyFile: string } | undefined {
  const certFile = argv[certFlag];
  const keyFile = argv[keyFlag];
  if (certFile && !keyFile) throw new InputError(`--${certFlag} needs --${keyFlag}`);
  if (keyFile && !certFile) throw new InputError(`--${keyFlag} needs --${certFlag}`);
  return certFile && keyFile ? { certFile, keyFile } : undefined;
}

/** Cucumber selects scenarios by name; each scenario's name holds its case id followed by " (". */
export function namePatterns(selectors: readonly string[]): string[] {
  return selectors.map((selector) => ` ${selector.replace(/\/$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/\\S*)? \\(`);
}

/** An external target's keys: its protocol, and with tokens the same URL as a token target (the token cases' own). */
function externalTargetKeys(settings: RunSettings): TargetKey[] {
  if (settings.target.kind !== 'external') return [];
  const protocol = parseTargetUrl(settings.target.url).protocol;
  return settings.tokens && protocol !== 'tls' ? [protocol, tokenTargetKey(protocol)] : [protocol];
}

/** Only the target's protocol runs against an external target; the built-in run covers all three. */
function tagsFor(settings: RunSettings, userTags: string | undefined, argv: Pick<RunArguments, 'repeat' | 'identity-echo'> = { repeat: undefined, 'identity-echo': undefined }): string {
  const protocols = settings.target.kind === 'reference' ? settings.target.protocols : externalTargetKeys(settings);
  const protocolTags = protocols.map((p) => `@${p}`).join(' or ');
  const optedOut = optInTagsLeftOut(settings.caseSelectors, userTags, { repeat: argv.repeat, identityEcho: argv['identity-echo'] });
  const base = optedOut.length > 0 ? `(${protocolTags}) and not ${optedOut.join(' and not ')}` : protocolTags;
  return userTags ? `(${base}) and (${userTags})` : base;
}

export async function runCommand(argv: RunArguments): Promise<number> {
  const settings = await settingsFromArguments(argv);
  const gate = gatePolicyFrom({ waivers: argv.waivers, baseline: argv.baseline, writeBaseline: argv['write-baseline'] }, cases);
  // Private folders of mtlspec processes that were killed before they could remove them.
  sweepAbandonedPrivateDirs();
  const reportDir = ReportDir.claim(argv['report-dir']);
  try {
    return await runInto(reportDir, settings, argv, gate);
  } finally {
    reportDir.release();
  }
}

async function runInto(reportDir: ReportDir, settings: RunSettings, argv: RunArguments, policy: GatePolicy): Promise<number> {
  const target = settings.target;
  const style = terminalStyle();
  const say = (line: string): void => {
    if (!argv.quiet) process.stdout.write(`${line}\n`);
  };
  let preflightSession: RunSession | undefined;
  if (target.kind === 'reference') {
    const flaws = target.flaws.length > 0 ? ` with flaws: ${target.flaws.join(', ')}` : '';
    say(`mtlspec: built-in reference servers (${target.protocols.map((p) => targetLabels[p]).join(', ')})${flaws}`);
  } else {
    const tokens = settings.tokens ? `, and ${settings.tokens.keyFile !== undefined ? 'tokens signed with --jwt-key' : `the token from ${settings.tokens.tokenFile !== undefined ? '--token-file' : '--token'}`}` : '';
    say(`mtlspec: ${target.url} with ${credentialPhrase(target.credentials)}${tokens}`);
    const check = await preflight(settings);
    if (!check.ok) {
      process.stderr.write(`mtlspec: ${check.reason}\n`);
      return ExitCode.inconclusive;
    }
    // The scenarios go on with the preflight's PKI and control (cucumber runs in this process).
    preflightSession = check.session;
    const spoken = spokenLine(check.control);
    if (spoken) say(spoken);
    RunSession.handOver(check.session);
  }
  let run: SuiteRun;
  try {
    // Loaded only now: cucumber is most of the CLI's code, which bad input and unreachable targets should not run.
    const { runSuite } = await import('../run/run-suite.js');
    run = await runSuite({
      settings,
      reportDir: reportDir.staging,
      tags: tagsFor(settings, argv.tags, argv),
      names: namePatterns(argv.case),
      caseIds: selectCases(cases, argv.case).map((c) => c.id),
      onResult: (result, progress) => {
        if (!argv.quiet) process.stdout.write(`${scenarioLine(result, style, progress)}\n`);
      },
    });
  } finally {
    // Closed by cucumber's AfterAll when it claimed the session; otherwise (no scenario matched, or cucumber
    // failed) here. Closing twice is a no-op.
    RunSession.claimHandedOver();
    await preflightSession?.close();
  }
  if (run.results.length === 0) {
    process.stderr.write(`mtlspec: no scenario matched${argv.tags ? ` the tags "${argv.tags}"` : ''}\n`);
    return ExitCode.usage;
  }
  // After the scenarios, one request at a time: the backend is tried directly, without the proxy.
  const backendChecks = await runBackendChecks(settings);
  // After the verdicts: waivers and the baseline decide which findings fail the run; the verdicts stay as judged.
  const gate = gateFindings(run.results, policy, new Date());
  if (policy.writeBaseline) writeBaseline(policy.writeBaseline, gate.findings);
  const gated = policy.waivers.length > 0 || policy.baseline !== undefined || policy.writeBaseline !== undefined;
  const results = buildRunResults(gate.results, {
    startedAt: run.startedAt,
    wallMs: Math.round(run.wallMs),
    strict: settings.strict,
    flaws: target.kind === 'reference' ? target.flaws : [],
    ...(gated ? { gate: gateSummary(gate, policy.writeBaseline) } : {}),
    ...(backendChecks ? { backendChecks } : {}),
  });
  writeRunResults(run.reports.results, results);
  writeFileSync(run.reports.junit, renderJunit(results));
  writeFileSync(run.reports.index, renderIndexPage(results));
  const reports = reportDir.publish(run.reports);
  say(totalsTable(run.results, reports, style));
  // Several backends behind the target, and whether each case reached them all: shown with --quiet, it qualifies every pass.
  for (const line of backendsNotice(run.results.flatMap((r) => (r.record ? [r.record] : [])), settings.repeat ?? 1)) process.stdout.write(`${line}\n`);
  // Findings are not verdicts, and show even with --quiet: a target that may crash on a certificate is worth a look.
  for (const line of findingLines(run.results)) process.stdout.write(`${line}\n`);
  // Like findings, these show with --quiet: they say why the exit code is what it is.
  for (const line of gateLines(gate, policy.writeBaseline)) process.stdout.write(`${line}\n`);
  // The root causes, right before the summary line; with --quiet one line each, since they say what to fix first.
  for (const line of diagnosisLines(results.diagnosis ?? [], { quiet: argv.quiet })) process.stdout.write(`${line}\n`);
  // Like findings, shown with --quiet: a backend that serves forged identities fails the run.
  if (backendChecks && settings.backend) for (const line of backendLines(settings.backend, backendChecks)) process.stdout.write(`${line}\n`);
  process.stdout.write(`${summaryLine(run.results, run.wallMs, reports.html)}\n`);
  return exitWithBackend(gatedExitCode(gate), backendChecks ?? [], ExitCode);
}

function credentialPhrase(source: CredentialSource): string {
  const from = 'p12File' in source ? `--${source.kind}-p12` : `--${source.kind}-cert`;
  return source.kind === 'ca' ? `the CA from ${from}` : `the client credential from ${from}`;
}

/** Shells make a real newline awkward to type, so --send understands the usual escapes. */
export function unescapeSend(text: string): string {
  const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\' };
  return text.replace(/\\([nrt\\])/g, (_match, letter: string) => escapes[letter] ?? letter);
}
