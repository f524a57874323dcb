import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PrivateDir } from '../../src/pki/private-dir.js';
import { describeExit, lastLines, loopbackHost, PortTaken, ServerProcess, serverVersion, startOnFreePort, waitForPort } from './child-server.js';
import { ensureCommand, findCommand } from './ensure-package.js';

/**
 * A real nginx on loopback, configured for mTLS, to check the harness against
 * a server it did not write. Everything nginx touches (config, certificates,
 * pid, logs, temp dirs) lives in one private directory that close() removes.
 */

export interface NginxOptions {
  /** nginx's ssl_verify_client: 'optional_no_ca' asks for a certificate but accepts any. */
  verifyClient: 'on' | 'optional' | 'optional_no_ca';
  /** false: no http2, so nginx speaks HTTP/1.1 only (ALPN http/1.1). Default true. */
  http2?: boolean;
  /** nginx's ssl_protocols, e.g. 'TLSv1.2 TLSv1.3'. Default 'TLSv1.3'. */
  protocols?: string;
  /** CA that signs acceptable client certificates (ssl_client_certificate). */
  clientCaPem: string;
  /** Server certificate (followed by any intermediates) and its key. */
  certPem: string;
  keyPem: string;
}

export interface RunningNginx {
  port: number;
  /** https://127.0.0.1:PORT/ */
  url: string;
  /** nginx's version, e.g. "1.22.1". */
  version: string;
  /** The config nginx runs with, for the report when a test fails. */
  config: string;
  /** The last lines of nginx's error log (level info: it names each refused certificate). */
  errorLogTail(lines?: number): string;
  /** SIGTERM, SIGKILL after 2 s, then removes the directory. */
  close(): Promise<void>;
}

const readyTimeoutMs = 5000;

export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  ensureCommand('nginx', 'nginx');
  const nginx = findCommand('nginx') ?? 'nginx';
  // `nginx -v` prints "nginx version: nginx/1.22.1", on stderr.
  const version = serverVersion(nginx, ['-v'], /nginx\/(\d+\.\d+\.\d+)/);
  const dir = new PrivateDir('mtlspec-nginx-');
  try {
    const files = {
      cert: dir.write('server.pem', options.certPem),
      key: dir.write('server.key', options.keyPem),
      clientCa: dir.write('client-ca.pem', options.clientCaPem),
      errorLog: path.join(dir.path, 'error.log'),
      pid: path.join(dir.path, 'nginx.pid'),
    };
    return await startOnFreePort(async (port) => {
      const config = nginxConfig({ ...options, dir: dir.path, files, port, version });
      const configPath = dir.write('nginx.conf', config);
      // -e: nginx opens its compiled-in error log (/var/log/nginx) before it
      // reads the config; point that at our directory too.
      const args = ['-p', `${dir.path}/`, '-c', configPath, '-e', files.errorLog, '-g', 'daemon off;'];
      const server = new ServerProcess(nginx, args, dir.path);
      try {
        // nginx writes its pid file after binding its listen sockets and
        // never when a bind fails: proof the port is ours, not a racer's.
        await waitForPort(loopbackHost, port, server, readyTimeoutMs, () => existsSync(files.pid));
      } catch (error) {
        await server.stop();
        const log = readTail(files.errorLog);
        const message =
          `nginx ${version} did not start: ${(error as Error).message}\n` +
          `command: ${nginx} ${args.join(' ')}\n--- error.log ---\n${log}\n--- stdout/stderr ---\n${lastLines(server.output)}`;
        // Lost the port race: pick another. (stderr, not the log: the log
        // keeps earlier attempts' lines.)
        throw /Address already in use/.test(server.output) ? new PortTaken(message) : new Error(message);
      }
      return {
        port,
        url: `https://${loopbackHost}:${port}/`,
        version,
        config,
        errorLogTail: (lines = 20) => readTail(files.errorLog, lines),
        close: async () => {
          await server.stop();
          if (server.exit && server.exit.signal === 'SIGKILL') {
            // Not an error for the test, but worth a trace when debugging hangs.
            process.emitWarning(`nginx on port ${port} ignored SIGTERM (${describeExit(server.exit)})`);
          }
          dir.remove();
        },
      };
    });
  } catch (error) {
    dir.remove();
    throw error;
  }
}

/**
 * nginx 1.25.1 moved HTTP/2 from a `listen` parameter to its own `http2 on;`
 * directive (and deprecated the old form); Debian 12 ships 1.22, which only
 * knows the old one. Pick by version so the fixture survives an upgrade.
 */
export function http2Directives(version: string, listen: string): { listen: string; http2: string } {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
  const modern = major > 1 || (major === 1 && (minor > 25 || (minor === 25 && patch >= 1)));
  return modern ? { listen: `listen ${listen} ssl;`, http2: 'http2 on;' } : { listen: `listen ${listen} ssl http2;`, http2: '' };
}

interface ConfigInput extends NginxOptions {
  dir: string;
  port: number;
  version: string;
  files: { cert: string; key: string; clientCa: string; errorLog: string; pid: string };
}

function nginxConfig(input: ConfigInput): string {
  const { dir, files, port } = input;
  const { listen, http2 } = input.http2 === false ? { listen: `listen ${loopbackHost}:${port} ssl;`, http2: '' } : http2Directives(input.version, `${loopbackHost}:${port}`);
  const temp = (name: string): string => path.join(dir, name);
  // As root, nginx would drop its workers to "nobody", who cannot enter our
  // 0700 directory; the keys are loaded by the master, but keep workers root
  // too so nothing depends on that detail.
  const user = process.getuid?.() === 0 ? 'user root;' : '';
  return `# mtlspec test fixture: every path is inside ${dir}
${user}
worker_processes 1;
pid ${files.pid};
# info: nginx logs why it refused each client certificate at this level.
error_log ${files.errorLog} info;

events {
  worker_connections 128;
}

http {
  access_log ${temp('access.log')};
  client_body_temp_path ${temp('client_body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  default_type text/plain;

  server {
    ${listen}
    ${http2}
    server_name localhost;

    ssl_certificate ${files.cert};
    ssl_certificate_key ${files.key};
    ssl_client_certificate ${files.clientCa};
    ssl_verify_client ${input.verifyClient};
    ssl_protocols ${input.protocols ?? 'TLSv1.3'};

    location / {
      return 200 "ok\\n";
    }
    location /hello {
      return 200 "hello\\n";
    }
  }
}
`;
}

function readTail(file: string, lines = 20): string {
  try {
    return lastLines(readFileSync(file, 'utf8'), lines);
  } catch {
    return '(no error log)';
  }
}
