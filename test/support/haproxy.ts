import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PrivateDir } from '../../src/pki/private-dir.js';
import { lastLines, loopbackHost, PortTaken, ServerProcess, serverVersion, startedServer, startOnFreePort, waitForPort, type StartedServer } from './child-server.js';
import { ensureCommand, findCommand } from './ensure-package.js';
import { haproxyPreamble } from '../../src/proxy/haproxy.js';

/**
 * A real HAProxy on loopback terminating mTLS in `mode http`, the way it
 * usually fronts a service. It answers GET /hello itself
 * (`http-request return`), so no backend process is needed: what is judged
 * is HAProxy's TLS layer, which is the point.
 *
 * What it does with client certificates (HAProxy 2.6, OpenSSL 3.0, observed):
 * in TLS 1.3 it refuses a bad or missing certificate with the alert OpenSSL
 * names (unknown_ca, certificate_expired, unsupported_certificate,
 * decrypt_error, certificate_required) after the client's handshake, so the
 * client sees it on its first read; an old TLS version gets protocol_version
 * at the ClientHello. With `verify optional` a client without a certificate
 * is served, while a certificate that is sent must still verify.
 */

export interface HaproxyOptions {
  /** The bind line's `verify`: 'required' is correct; 'optional' lets a client without a certificate in. */
  verify: 'required' | 'optional';
  /** The bind line's `ssl-min-ver`; none leaves HAProxy's default (TLSv1.2 in 2.6). */
  minVersion?: 'TLSv1.3';
  /** ca-file: the CA that signs acceptable client certificates. */
  clientCaPem: string;
  certPem: string;
  keyPem: string;
}

/** output() is HAProxy's own log: one line per connection, "SSL handshake failure" for each refused one. */
export interface RunningHaproxy extends StartedServer {
  /** https://127.0.0.1:PORT/ */
  url: string;
  version: string;
  config: string;
}

const readyTimeoutMs = 5000;

export async function startHaproxy(options: HaproxyOptions): Promise<RunningHaproxy> {
  ensureCommand('haproxy', 'haproxy');
  const haproxy = findCommand('haproxy') ?? 'haproxy';
  const version = serverVersion(haproxy, ['-v'], /HAProxy version (\S+)/);
  const dir = new PrivateDir('mtlspec-haproxy-');
  try {
    const files = {
      // crt takes the certificate and its key in one PEM.
      crt: dir.write('server.pem', `${options.certPem.trimEnd()}\n${options.keyPem}`),
      clientCa: dir.write('client-ca.pem', options.clientCaPem),
      socket: path.join(dir.path, 'stats.sock'),
    };
    return await startOnFreePort(async (port) => {
      const config = haproxyConfig({ ...options, files, port });
      // -db: foreground, no daemon, logs on stderr.
      const args = ['-db', '-f', dir.write('haproxy.cfg', config)];
      const server = new ServerProcess(haproxy, args, dir.path);
      try {
        await waitForPort(loopbackHost, port, server, readyTimeoutMs, () => existsSync(files.socket));
        // HAProxy exits when any listener fails to bind, but its stats
        // socket file may exist by then: only an answer on that socket proves
        // it got past binding, so the port that answered is its own.
        await showInfo(files.socket);
      } catch (error) {
        await server.stop();
        const message = `haproxy ${version} did not start: ${(error as Error).message}\ncommand: ${haproxy} ${args.join(' ')}\n${lastLines(server.output)}`;
        throw /cannot bind socket/.test(server.output) ? new PortTaken(message) : new Error(message);
      }
      return { ...startedServer(server, port, dir), url: `https://${loopbackHost}:${port}/`, version, config };
    });
  } catch (error) {
    dir.remove();
    throw error;
  }
}

interface ConfigInput extends HaproxyOptions {
  port: number;
  files: { crt: string; clientCa: string; socket: string };
}

function haproxyConfig(input: ConfigInput): string {
  const { files, port } = input;
  const minVersion = input.minVersion ? ` ssl-min-ver ${input.minVersion}` : '';
  // Readiness: it answers "show info" on its stats socket once every listener is bound; each connection's line, handshake failures included, on stderr.
  return `# mtlspec test fixture
${haproxyPreamble('http', [`stats socket ${files.socket} mode 600`])}

frontend mtls
  bind ${loopbackHost}:${port} ssl crt ${files.crt} ca-file ${files.clientCa} verify ${input.verify} alpn h2,http/1.1${minVersion}
  http-request return status 200 content-type text/plain string "hello" if { path /hello }
  http-request return status 404 content-type text/plain string "not found"
`;
}

/** The stats socket's `show info`: HAProxy serves it only once it runs, all its listeners bound. */
function showInfo(socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = net.connect({ path: socketPath }, () => socket.end('show info\n'));
    socket.setTimeout(readyTimeoutMs, () => socket.destroy(new Error(`no answer on the stats socket within ${readyTimeoutMs} ms`)));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.once('error', reject);
    socket.once('close', () => (/^Name: HAProxy$/m.test(answer) ? resolve(answer) : reject(new Error(`the stats socket did not answer "show info": ${answer.trim() || '(nothing)'}`))));
  });
}
