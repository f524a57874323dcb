import { writeTrustedCaCrl } from '../pki/index.js';
import { appFactsOf, describeOutcome, type AppFacts, type Outcome } from '../probe/outcome.js';
import { targetLabels, type Protocol } from '../target/target.js';
import { InputError } from './inputs.js';
import { RunSession } from './session.js';
import { controlSpreadNote } from '../proxy/replica-spread.js';
import type { RunSettings } from './settings.js';

/** On success, the session that probed: the run goes on with it (see RunSession.handOver). */
export type PreflightResult = { ok: true; session: RunSession; control: Outcome } | { ok: false; reason: string };

/**
 * Before a run against a user's server, write the CRL if asked (--crl-out),
 * then probe it once with the valid
 * credential. If that is not accepted, no scenario could be judged, and the
 * person needs one clear sentence now, not a report full of "inconclusive"
 * (nor N probes each waiting out the timeout on a server that hangs).
 */
export async function preflight(settings: RunSettings): Promise<PreflightResult> {
  const session = await RunSession.start(settings);
  let passedOn = false;
  try {
    // Written before the probe, so a person can load it into the target even when the probe fails.
    if (settings.crlOut) await writeCrlOut(session, settings.crlOut);
    const [protocol] = session.targets.keys();
    if (!protocol) return { ok: false, reason: 'the run has no target' };
    const control = await session.control(protocol);
    const { outcome, target } = control;
    if (outcome.kind === 'accepted' && !protocolMismatch(target.protocol, outcome)) {
      passedOn = true;
      return { ok: true, session, control: outcome };
    }
    return { ok: false, reason: `${controlFailure(`${target.url} (${targetLabels[protocol]})`, target.protocol, outcome)}${controlSpreadNote(control.connections)}` };
  } finally {
    if (!passedOn) await session.close();
  }
}

/**
 * One line on why the valid credential was not accepted, naming what was
 * seen: a protocol mismatch, a target shedding load or going away, or a
 * refusal of the credential itself, at the layer it came from.
 */
export function controlFailure(where: string, protocol: Protocol, outcome: Outcome): string {
  if (outcome.kind === 'unreachable') return `cannot judge ${where}: ${outcome.detail}`;
  if (outcome.kind === 'shed') {
    return `cannot judge ${where}: the target turned the valid control away on every try, without judging it (${outcome.detail}); is it overloaded, rate-limiting or draining? Try again later, or lower --rate`;
  }
  const mismatch = protocolMismatch(protocol, outcome);
  if (mismatch) return `${where} is the wrong protocol for this URL: ${mismatch}; no case can be judged (${describeOutcome(outcome)})`;
  if (outcome.kind === 'accepted') return `${where} accepted the valid control credential`;
  const layer = outcome.stage === 'application' ? 'the application refused it' : `the TLS layer refused it${outcome.tls.alert ? ` with the alert ${outcome.tls.alert.name}` : ' (the connection was closed after the certificate was sent)'}`;
  const app = outcome.stage === 'application' ? outcome.app : undefined;
  // RFC 6750 3: a Bearer challenge says the target wants a token, which is the likeliest thing missing or wrong.
  if (app?.wwwAuthenticate && /\bBearer\b/i.test(app.wwwAuthenticate)) {
    const sent = app.requestHeaders?.some((h) => h.name.toLowerCase() === 'authorization');
    const hint = sent
      ? 'check the token: --jwt-key (and --jwt-kid), --jwt-iss, --jwt-aud, --jwt-claims, or the --token given'
      : 'it asks for a bearer token: give --jwt-key (with --jwt-iss and --jwt-aud) or --token';
    return `${where} refused the valid control credential (${layer}: WWW-Authenticate: ${app.wwwAuthenticate}), so no case can be judged; ${hint}`;
  }
  return `${where} refused the valid control credential (${layer}), so no case can be judged (${describeOutcome(outcome)}); check --ca-cert/--client-cert, --spiffe-id and the URL's path`;
}

/**
 * A gRPC server asked for a plain HTTP/2 path, or the other way round, told
 * from the answer. A grpcs:// target that answers without a grpc-status and
 * without a gRPC content-type is no gRPC server: its answers cannot show a
 * gRPC refusal (PERMISSION_DENIED), so the run would judge less than it says.
 */
export function protocolMismatch(protocol: Protocol, outcome: Outcome): string | undefined {
  const app = appFactsOf(outcome);
  if (!app || app.httpStatus === undefined) return undefined;
  const isGrpc = app.contentType?.startsWith('application/grpc') === true || app.grpcStatus !== undefined;
  if (protocol === 'http2' && isGrpc) return `the server answered with ${app.contentType ?? 'a grpc-status'}, so it is a gRPC server: use grpcs://host:port/pkg.Service/Method`;
  if (protocol === 'grpc' && !isGrpc) {
    return `the server answered HTTP ${app.httpStatus}${app.contentType ? ` with ${app.contentType}` : ''} and no grpc-status: it is not a gRPC server; for a plain HTTP/2 server use https://host:port/path`;
  }
  if (protocol === 'http2') return httpVersionMismatch(app);
  return undefined;
}

/**
 * The HTTP answers that say the request was spoken in the wrong protocol,
 * not judged: grpc-js answers a plain GET with a bare 415, and a server that
 * speaks only HTTP/1.0 answers HTTP/1.1 with 505.
 */
function httpVersionMismatch(app: AppFacts): string | undefined {
  if (app.httpStatus === 415 && app.protocol === 'http2') {
    return 'the server answered a plain GET with HTTP 415 (Unsupported Media Type), as gRPC servers do: if it is one, use grpcs://host:port/pkg.Service/Method';
  }
  if (app.httpStatus === 505) {
    return `the server answered HTTP 505 (HTTP Version Not Supported) to ${app.protocol === 'http1' ? 'HTTP/1.1' : 'HTTP/2'}: ${app.protocol === 'http1' ? 'if it speaks only HTTP/1.0, test it with tls://host:port --send "GET /path HTTP/1.0\\r\\n\\r\\n" --expect "^HTTP/1\\.0 200"' : 'try --http1'}`;
  }
  return undefined;
}

async function writeCrlOut(session: RunSession, file: string): Promise<void> {
  try {
    await writeTrustedCaCrl(session.pki, file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    throw new InputError(`--crl-out ${file} cannot be written (${code === 'ENOENT' ? 'its folder does not exist' : code})`);
  }
}
