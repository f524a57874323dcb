import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { forgedName, identityHeaders, mintForgedIdentity, type ForgedIdentity, type IdentityHeaderFamily } from './identity-headers.js';
import { createRunPki } from '../pki/index.js';
import { forgedProxyV2Header } from './proxy-v2.js';

/**
 * --backend URL: the service behind a TLS-terminating proxy, tried directly,
 * without the proxy. It must not serve a request that did not come through
 * the proxy: not one without an identity, not one with a forged identity
 * header, and not one with a PROXY v2 header from this host (a PROXY header
 * must come only from the backend's known balancers) whose TLVs claim a
 * client whose certificate verified.
 */
export interface BackendCheck {
  readonly id: string;
  readonly title: string;
  readonly status: 'passed' | 'failed' | 'inconclusive' | 'skipped';
  readonly why: string;
  /** What came back: "HTTP 403: {...}", or the connection error. */
  readonly answer: string;
}

interface DirectAnswer {
  readonly status?: number;
  readonly body: string;
  readonly error?: string;
}

const bodyLimit = 2048;

export async function checkBackend(options: { url: string; timeoutMs: number; forged: ForgedIdentity }): Promise<BackendCheck[]> {
  const url = new URL(options.url);
  const checks: BackendCheck[] = [];
  // One request at a time, each bounded by the probe timeout: at most 11 of them.
  const bare = await request(url, {}, undefined, options.timeoutMs);
  checks.push(judgeDirect('backend/no-identity', 'a request without any identity, straight to the backend', bare, false));
  for (const family of Object.keys(identityHeaders) as IdentityHeaderFamily[]) {
    const headers = Object.fromEntries(identityHeaders[family](options.forged).map((h) => [h.name, h.value]));
    const answer = await request(url, headers, undefined, options.timeoutMs);
    checks.push(judgeDirect(`backend/forged/${family}`, `a forged ${Object.keys(headers).join(' and ')} straight to the backend`, answer, false));
  }
  const preamble = forgedProxyV2Header({
    source: { address: '127.0.0.1', port: 50_000 },
    destination: { address: net.isIP(url.hostname.replace(/^\[|\]$/g, '')) ? url.hostname.replace(/^\[|\]$/g, '') : '127.0.0.1', port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) },
    clientCn: forgedName,
  });
  const viaProxyV2 = await request(url, {}, preamble, options.timeoutMs);
  checks.push(judgeDirect('backend/proxy-v2', `a PROXY v2 header from this host whose SSL TLV claims a verified client certificate (CN=${forgedName})`, viaProxyV2, true));
  return checks;
}

function judgeDirect(id: string, title: string, answer: DirectAnswer, proxyV2: boolean): BackendCheck {
  const shown = answer.error ?? `HTTP ${answer.status ?? '?'}${answer.body ? `: ${answer.body.slice(0, 160)}` : ''}`;
  const result = (status: BackendCheck['status'], why: string): BackendCheck => ({ id, title, status, why, answer: shown });
  const served = answer.status !== undefined && answer.status >= 200 && answer.status < 300;
  if (proxyV2 && !served) {
    // A backend that does not read PROXY headers parses the preamble as a broken request: its refusal says nothing about PROXY v2.
    return result('skipped', `not served (${shown}); whether the backend reads PROXY v2 headers at all cannot be told from its refusal, so this proves nothing more`);
  }
  if (answer.error !== undefined) {
    return result('inconclusive', `no answer from the backend (${answer.error}): if only the proxy can reach it, good, but that cannot be told from here; check the URL`);
  }
  const status = answer.status ?? 0;
  if (status >= 200 && status < 300) {
    if (answer.body.includes(forgedName)) return result('failed', `the backend answered as the forged identity (${forgedName}): it believes ${proxyV2 ? 'a PROXY v2 header from anyone' : 'identity headers from anyone who reaches it'}`);
    return result('failed', `the backend served it (HTTP ${status}) without the proxy: anyone who reaches it ${proxyV2 ? 'with a PROXY v2 header ' : ''}bypasses the proxy's mTLS`);
  }
  if (status === 401 || status === 403) return result('passed', `the backend refused it (HTTP ${status})`);
  return result('inconclusive', `the backend answered HTTP ${status}, neither serving nor refusing it: check the URL's path`);
}

/** One GET, optionally after a PROXY v2 preamble, within timeoutMs; never throws. */
function request(url: URL, headers: Record<string, string>, preamble: Buffer | undefined, timeoutMs: number): Promise<DirectAnswer> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (answer: DirectAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(answer);
    };
    const secure = url.protocol === 'https:';
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || (secure ? 443 : 80));
    // The preamble goes first on the TCP connection, before TLS or HTTP, as a balancer sends it.
    const connect = (): net.Socket => {
      const socket = net.connect({ host, port });
      if (preamble) socket.write(preamble);
      // The backend's own certificate is not what this check is about: it is read, not verified.
      return secure ? tls.connect({ socket, servername: net.isIP(host) ? undefined : host, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }) : socket;
    };
    // No agent: Node uses createConnection only without one, and each check gets a connection of its own.
    const req = (secure ? https : http).request(url, { method: 'GET', headers: { connection: 'close', ...headers }, createConnection: connect });
    const timer = setTimeout(() => {
      req.destroy();
      done({ body: '', error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => done({ body: '', error: `${error.code ?? 'error'}: ${error.message}` }));
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        if (body.length < bodyLimit) body += chunk.toString('utf8');
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, body: body.slice(0, bodyLimit) }));
      res.on('error', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.end();
  });
}

/** The terminal lines: a heading, then one line per check. */
export function backendLines(url: string, checks: readonly BackendCheck[]): string[] {
  const marks: Record<BackendCheck['status'], string> = { passed: 'PASS', failed: 'FAIL', inconclusive: 'INCONCLUSIVE', skipped: 'SKIP' };
  return [`mtlspec: straight to the backend ${url} (--backend), without the proxy:`, ...checks.map((c) => `  ${marks[c.status].padEnd(12)} ${c.id}: ${c.why}`)];
}

/** The run's exit code with the backend checks: a failure fails the run, an inconclusive check makes a passing run inconclusive. */
export function exitWithBackend(exitCode: number, checks: readonly BackendCheck[], codes: { passed: number; failed: number; inconclusive: number }): number {
  if (exitCode !== codes.passed && exitCode !== codes.inconclusive) return exitCode;
  if (checks.some((c) => c.status === 'failed')) return codes.failed;
  if (checks.some((c) => c.status === 'inconclusive')) return codes.inconclusive;
  return exitCode;
}

/** The checks of a run's --backend, with a forged identity of its own (no PKI of the run's is needed). */
export async function runBackendChecks(settings: { readonly backend?: string; readonly clientSpiffeId: string; readonly serverSpiffeId?: string; readonly timeoutMs: number }): Promise<BackendCheck[] | undefined> {
  if (!settings.backend) return undefined;
  const pki = await createRunPki({ clientSpiffeId: settings.clientSpiffeId, trustedCa: 'none' });
  const forged = await mintForgedIdentity(pki, settings.clientSpiffeId, settings.serverSpiffeId);
  return checkBackend({ url: settings.backend, timeoutMs: settings.timeoutMs, forged });
}

/** What is wrong with a --backend URL, if anything (the sentence's predicate). */
export function backendUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a URL; expected http://host:port/path or https://host:port/path';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `is ${url.protocol.replace(/:$/, '')}://; the backend is tried over http:// or https://`;
  return undefined;
}
