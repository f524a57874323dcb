import path from 'node:path';
import { packageRoot } from '../../src/paths.js';
import { PrivateDir } from '../../src/pki/private-dir.js';
import { lastLines, loopbackHost, PortTaken, ServerProcess, startOnFreePort, waitForOutput } from './child-server.js';
import { ensureCommand, findCommand } from './ensure-package.js';

/**
 * Python's http.server wrapped in ssl (test/fixtures/python-https.py), as a
 * Python service would serve HTTP/1.1 over mTLS: TLS 1.3, the client CA
 * loaded with load_verify_locations, and verify_mode CERT_REQUIRED or
 * CERT_OPTIONAL. It does no ALPN, so the probe speaks HTTP/1.1 to it
 * because it chose none.
 */

export interface PythonHttpsOptions {
  verify: 'required' | 'optional';
  clientCaPem: string;
  certPem: string;
  keyPem: string;
}

export interface RunningPythonHttps {
  port: number;
  /** https://127.0.0.1:PORT/ */
  url: string;
  /** What the server wrote (its request log and every refused handshake). */
  output(): string;
  close(): Promise<void>;
}

const script = path.join(packageRoot, 'test', 'fixtures', 'python-https.py');
const readyTimeoutMs = 10_000;

export async function startPythonHttps(options: PythonHttpsOptions): Promise<RunningPythonHttps> {
  ensureCommand('python3', 'python3');
  const python = findCommand('python3') ?? 'python3';
  const dir = new PrivateDir('mtlspec-python-https-');
  try {
    const files = {
      cert: dir.write('server.pem', options.certPem),
      key: dir.write('server.key', options.keyPem),
      ca: dir.write('client-ca.pem', options.clientCaPem),
    };
    return await startOnFreePort(async (port) => {
      const args = [script, '--port', String(port), '--cert', files.cert, '--key', files.key, '--ca', files.ca, '--verify', options.verify];
      const server = new ServerProcess(python, args, dir.path);
      try {
        // The script prints LISTENING once it has bound the port: the port is ours, not a racer's.
        await waitForOutput(server, /^LISTENING$/m, readyTimeoutMs);
      } catch (error) {
        await server.stop();
        const message = `python https server did not start: ${(error as Error).message}\ncommand: ${python} ${args.join(' ')}\n${lastLines(server.output)}`;
        // PortTaken: another process won the port race, another port will do.
        throw /Address already in use/.test(server.output) ? new PortTaken(message) : new Error(message);
      }
      return {
        port,
        url: `https://${loopbackHost}:${port}/`,
        output: () => server.output,
        close: async () => {
          await server.stop();
          dir.remove();
        },
      };
    });
  } catch (error) {
    dir.remove();
    throw error;
  }
}
