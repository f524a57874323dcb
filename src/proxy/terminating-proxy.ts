import http from 'node:http';
import { X509Certificate } from 'node:crypto';
import { freePort, haproxyPreamble, startHaproxy, type RunningHaproxy } from './haproxy.js';

/**
 * The reference setup behind a TLS-terminating proxy: HAProxy in `mode http`
 * verifies the client certificate and passes the identity it verified to a
 * plain HTTP backend in X-SSL-Client-Cert (base64 DER). The backend trusts
 * that header, and its first value when there are several: safe only if the
 * proxy removes every copy the client sent.
 *
 * - 'overwrites' (correct): the client's identity headers are deleted, then
 *   the proxy sets X-SSL-Client-Cert to the certificate it verified.
 * - 'appends' (flawed): the proxy adds its X-SSL-Client-Cert after any the
 *   client sent and passes the others on, so the backend reads the client's.
 */
export type ProxyHeaderPolicy = 'overwrites' | 'appends';

export const proxyHeaderPolicies: readonly ProxyHeaderPolicy[] = ['overwrites', 'appends'];

/** The header the backend reads the caller from. */
const trustedHeader = 'x-ssl-client-cert';
/** Identity headers a correct proxy removes from every request, whichever its backend reads: another backend may read another. */
const identityHeaderNames = [
  'x-forwarded-client-cert', 'x-ssl-client-cert', 'x-ssl-client-verify', 'x-ssl-client-s-dn', 'x-ssl-client-dn', 'x-client-cert', 'client-cert', 'ssl-client-cert', 'x-forwarded-tls-client-cert',
] as const;

/** What the backend answers: {"message":"hello","caller":"<identity>"}; the --identity-echo that finds it. */
export const proxyBackendEchoPattern = '"caller":"([^"]*)"';

export interface TerminatingProxy {
  /** https://127.0.0.1:PORT/hello, through HAProxy. */
  readonly url: string;
  /** http://127.0.0.1:PORT/hello, the backend itself: what must not be reachable from clients. */
  readonly backendUrl: string;
  readonly haproxy: RunningHaproxy;
  close(): Promise<void>;
}

export async function startTerminatingProxy(options: {
  policy: ProxyHeaderPolicy;
  clientCaPem: string;
  certPem: string;
  keyPem: string;
  host?: string;
}): Promise<TerminatingProxy> {
  const host = options.host ?? '127.0.0.1';
  const backend = identityHeaderBackend();
  await new Promise<void>((resolve, reject) => {
    backend.once('error', reject);
    backend.listen(0, host, () => resolve());
  });
  const address = backend.address();
  const backendPort = typeof address === 'object' && address ? address.port : 0;
  const closeBackend = (): Promise<void> =>
    new Promise((resolve) => {
      backend.closeAllConnections();
      backend.close(() => resolve());
    });
  try {
    const port = await freePort(host);
    const haproxy = await startHaproxy({
      host,
      port,
      // crt takes the certificate and its key in one PEM.
      files: { 'server.pem': `${options.certPem.trimEnd()}\n${options.keyPem}`, 'client-ca.pem': options.clientCaPem },
      configFor: (paths, statsSocket) => proxyConfig({ host, port, backendPort, statsSocket, policy: options.policy, crt: paths['server.pem'] ?? '', ca: paths['client-ca.pem'] ?? '' }),
    });
    return {
      url: `https://${host}:${port}/hello`,
      backendUrl: `http://${host}:${backendPort}/hello`,
      haproxy,
      close: async () => {
        await haproxy.close();
        await closeBackend();
      },
    };
  } catch (error) {
    await closeBackend();
    throw error;
  }
}

function proxyConfig(input: { host: string; port: number; backendPort: number; statsSocket: string; policy: ProxyHeaderPolicy; crt: string; ca: string }): string {
  const headers = input.policy === 'overwrites'
    ? [
        '  # Correct: every identity header the client sent is removed, then the verified certificate is set.',
        ...identityHeaderNames.map((name) => `  http-request del-header ${name}`),
        '  http-request set-header X-SSL-Client-Cert %[ssl_c_der,base64]',
      ]
    : [
        '  # Flawed: the verified certificate is added after whatever the client sent, which is passed on.',
        '  http-request add-header X-SSL-Client-Cert %[ssl_c_der,base64]',
      ];
  return `# mtlspec: TLS-terminating proxy (${input.policy}) in front of a plain backend that trusts identity headers
${haproxyPreamble('http', [`stats socket ${input.statsSocket} mode 600`])}

frontend mtls
  bind ${input.host}:${input.port} ssl crt ${input.crt} ca-file ${input.ca} verify required alpn h2,http/1.1 ssl-min-ver TLSv1.3
${headers.join('\n')}
  default_backend app

backend app
  server app ${input.host}:${input.backendPort}
`;
}

/** The plain backend behind the proxy: it trusts X-SSL-Client-Cert from whoever sends it. */
export function identityHeaderBackend(): http.Server {
  return http.createServer((req, res) => answer(req, res));
}

/** The backend: 200 naming the caller from X-SSL-Client-Cert (its first value), 403 without one. */
function answer(req: http.IncomingMessage, res: http.ServerResponse): void {
  const caller = callerOf(req.rawHeaders);
  const [status, body] = caller === undefined ? [403, { error: 'no client identity header' }] : [200, { message: 'hello', caller }];
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The identity in the first X-SSL-Client-Cert line, as a naive backend reads it. */
export function callerOf(rawHeaders: readonly string[]): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === trustedHeader) return identityIn(rawHeaders[i + 1] ?? '');
  }
  return undefined;
}

function identityIn(value: string): string {
  const certificate = certificateIn(value);
  if (!certificate) return value;
  const uri = (certificate.subjectAltName ?? '').split(', ').find((s) => s.startsWith('URI:'))?.slice(4);
  return uri ?? certificate.subject.replace(/\n/g, ', ');
}

/** A certificate as proxies write it: PEM (URL-encoded or not), base64 DER, or RFC 9440's :base64:. */
function certificateIn(value: string): X509Certificate | undefined {
  const text = value.includes('%') ? safeDecode(value) : value;
  try {
    if (text.includes('-----BEGIN')) return new X509Certificate(text);
    // The proxy's own value follows the client's in a folded field: the first one is what a naive backend reads.
    const first = text.split(',')[0]?.trim().replace(/^:|:$/g, '') ?? '';
    return new X509Certificate(Buffer.from(first, 'base64'));
  } catch {
    return undefined;
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
