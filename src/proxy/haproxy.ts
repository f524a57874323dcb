import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PrivateDir } from '../pki/private-dir.js';
import { InputError } from '../run/inputs.js';

/**
 * A real HAProxy, started from a configuration text, for the reference
 * setups behind a balancer or a proxy (`mtlspec serve --replicas`, the
 * proxy tests). HAProxy is the Debian package; mtlspec never installs it.
 */

export interface RunningHaproxy {
  readonly host: string;
  readonly port: number;
  readonly version: string;
  readonly config: string;
  /** HAProxy's own log so far (stderr with -db). */
  output(): string;
  /** Stops it (SIGTERM, then SIGKILL after a second) and removes its folder. */
  close(): Promise<void>;
}

/** Where Debian puts daemons, which a non-login shell's PATH may leave out. */
const systemDirs = ['/usr/local/sbin', '/usr/sbin', '/sbin'];
const readyTimeoutMs = 5000;
const stopTimeoutMs = 1000;

/** The haproxy executable, or undefined when it is not installed. */
export function findHaproxy(): string | undefined {
  for (const dir of [...(process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean), ...systemDirs]) {
    const candidate = path.join(dir, 'haproxy');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; the next directory
    }
  }
  return undefined;
}

/** A free loopback port, for a configuration that must name its own. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts HAProxy on `configFor(files)` and resolves once it accepts TCP on
 * host:port; one clear error, with its last log lines, when it does not
 * within 5 s. `files` are written to a private folder (PEMs with keys).
 */
export async function startHaproxy(options: {
  host: string;
  port: number;
  files: Readonly<Record<string, string>>;
  /** The configuration; it must put `statsSocket` in its global section (haproxyPreamble does), which is how readiness is known. */
  configFor: (paths: Readonly<Record<string, string>>, statsSocket: string) => string;
}): Promise<RunningHaproxy> {
  const haproxy = findHaproxy();
  if (!haproxy) throw new Error('HAProxy is not installed (Debian: apt-get install haproxy)');
  const version = /HAProxy version (\S+)/.exec(spawnSync(haproxy, ['-v'], { encoding: 'utf8', timeout: readyTimeoutMs }).stdout ?? '')?.[1] ?? 'unknown';
  const dir = new PrivateDir('mtlspec-haproxy-');
  const paths = Object.fromEntries(Object.entries(options.files).map(([name, contents]) => [name, dir.write(name, contents)]));
  const statsSocket = path.join(dir.path, 'stats.sock');
  const config = options.configFor(paths, statsSocket);
  // -db: foreground, logs on stderr. A shell between us and HAProxy ends it when our end of its stdin closes,
  // which happens however we end, SIGKILL included: no handler of ours could stop it then.
  const child = spawn('/bin/sh', ['-c', watchdog, 'sh', haproxy, '-db', '-f', dir.write('haproxy.cfg', config)], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin?.on('error', () => undefined);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async (): Promise<void> => {
    await stop(child, exited);
    dir.remove();
  };
  try {
    await waitUntilReady(statsSocket, options.host, options.port, child);
  } catch (error) {
    await close();
    if (/cannot bind socket/.test(output)) throw new InputError(`HAProxy cannot listen on ${options.host}:${options.port}: the port is taken; choose another with --port, or leave it to pick a free one`);
    throw new Error(`HAProxy ${version} did not start: ${(error as Error).message}\n${output.trim().split('\n').slice(-10).join('\n')}`);
  }
  return { host: options.host, port: options.port, version, config, output: () => output, close };
}

/**
 * HAProxy exits when any listener fails to bind, and answers on its stats
 * socket only once all are bound: a port that accepts may be someone
 * else's, so the socket's answer is what proves the listener is HAProxy's.
 */
async function waitUntilReady(statsSocket: string, host: string, port: number, child: ChildProcess): Promise<void> {
  const started = performance.now();
  while (performance.now() - started < readyTimeoutMs) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`it exited (${child.exitCode ?? child.signalCode})`);
    if ((await answersShowInfo(statsSocket)) && (await accepts(host, port))) return;
    await sleep(50);
  }
  throw new Error(`it was not ready on ${host}:${port} within ${readyTimeoutMs} ms`);
}

function answersShowInfo(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = net.connect({ path: socketPath }, () => socket.end('show info\n'));
    socket.setTimeout(500, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(/^Name: HAProxy$/m.test(answer)));
  });
}

/** Whether anything accepts TCP on host:port, within half a second. */
export function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(500, () => socket.destroy());
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

/** Runs HAProxy ("$1" and its arguments) and kills it once stdin reaches its end; exits with HAProxy's status. */
// A background job's stdin is /dev/null unless redirected: fd 3 keeps the real one for cat.
const watchdog = 'exec 3<&0; haproxy="$1"; shift; "$haproxy" "$@" & pid=$!; (cat <&3 >/dev/null; kill "$pid" 2>/dev/null) & wait "$pid"';

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  // Closing stdin is the stop signal the watchdog shell passes on to HAProxy (SIGTERM).
  child.stdin?.end();
  if (child.exitCode !== null || child.signalCode !== null) return;
  const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
  await exited;
  clearTimeout(timer);
}

/**
 * HAProxy as a layer-4 balancer: `mode tcp`, round robin, the TLS connection
 * passed through untouched, so each replica authenticates the client itself.
 */
export function l4BalancerConfig(input: { host: string; port: number; statsSocket: string; backends: ReadonlyArray<{ host: string; port: number }> }): string {
  const servers = input.backends.map((b, i) => `  server replica${i + 1} ${b.host}:${b.port}`).join('\n');
  return `# mtlspec: layer-4 balancer (TLS passthrough) in front of reference replicas
${haproxyPreamble('tcp', [`stats socket ${input.statsSocket} mode 600`])}

frontend l4
  bind ${input.host}:${input.port}
  default_backend replicas

backend replicas
  # Each new connection goes to the next replica in turn: N connections in a row reach N replicas.
  balance roundrobin
${servers}
`;
}

/** The global and defaults sections every mtlspec setup shares: a log line per connection on stderr, bounded timeouts. */
export function haproxyPreamble(mode: 'tcp' | 'http', globalLines: readonly string[] = []): string {
  return [
    'global',
    ...globalLines.map((line) => `  ${line}`),
    '  log stderr format raw local0 info',
    '',
    'defaults',
    `  mode ${mode}`,
    '  log global',
    `  option ${mode}log`,
    '  timeout connect 5s',
    '  timeout client 30s',
    '  timeout server 30s',
  ].join('\n');
}
