import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';

/**
 * What nginx and `openssl s_server` fixtures share: picking a loopback port,
 * running the server as a child we can always stop, and waiting until it
 * listens. Kept apart from the fixtures so each of those reads as "the config
 * for this server" and nothing else.
 */

/** Only loopback: these servers hold test keys and must never face a network. */
export const loopbackHost = '127.0.0.1';

/**
 * A port nothing listens on right now. The kernel picks it (bind to port 0),
 * and we release it for the server to take: a small race, which the callers
 * cover by retrying when the server reports the port taken.
 */
export function pickFreePort(host: string = loopbackHost): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error(`could not pick a free port on ${host}`))));
    });
  });
}

/**
 * Thrown by a start attempt whose server found its port taken: another
 * process won the race pickFreePort leaves open, and another port will do.
 */
export class PortTaken extends Error {}

/**
 * Starts a server on a port from pickFreePort, trying a new port when
 * `start` throws PortTaken, at most `attempts` times; any other error is
 * thrown at once.
 */
export async function startOnFreePort<T>(start: (port: number) => Promise<T>, attempts = 3): Promise<T> {
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await start(await pickFreePort());
    } catch (error) {
      if (!(error instanceof PortTaken)) throw error;
      lastError = error;
    }
  }
  throw lastError ?? new Error('no start attempt was made');
}

/**
 * The version a server prints for `args` (e.g. `nginx -v`, on stderr), read
 * once per process: `pattern`'s first group.
 */
const versions = new Map<string, string>();
export function serverVersion(command: string, args: readonly string[], pattern: RegExp): string {
  const key = `${command} ${args.join(' ')}`;
  const known = versions.get(key);
  if (known) return known;
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  const text = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  const version = pattern.exec(text)?.[1];
  if (!version) throw new Error(`cannot read the version from "${key}": ${result.error?.message ?? text.trim()}`);
  versions.set(key, version);
  return version;
}

/** Keeps the last `limit` characters of a stream: enough to explain a failure, never a memory leak. */
class Tail {
  #text = '';
  constructor(private readonly limit: number) {}
  push(chunk: Buffer | string): void {
    this.#text = (this.#text + chunk.toString()).slice(-this.limit);
  }
  get text(): string {
    return this.#text;
  }
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A server process the test owns. It runs in a process group of its own so
 * that stopping it also stops the workers it forked (nginx's), even when a
 * SIGKILL leaves the master no chance to do so; and it is killed when the
 * test process exits, so a failing test never leaves a server listening.
 */
export class ServerProcess {
  readonly #child: ChildProcess;
  readonly #output = new Tail(64 * 1024);
  readonly #exited: Promise<ChildExit>;
  #exit: ChildExit | undefined;
  #stopping: Promise<void> | undefined;

  constructor(
    readonly command: string,
    readonly args: readonly string[],
    cwd: string,
  ) {
    this.#child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    // Always drain both pipes: s_server writes a line per connection, and a
    // full pipe would block it mid-handshake.
    this.#child.stdout?.on('data', (chunk: Buffer) => this.#output.push(chunk));
    this.#child.stderr?.on('data', (chunk: Buffer) => this.#output.push(chunk));
    this.#exited = new Promise((resolve) => {
      this.#child.once('error', (error) => {
        this.#output.push(`\n[spawn ${command} failed: ${error.message}]\n`);
        this.#exit ??= { code: null, signal: null };
        resolve(this.#exit);
      });
      this.#child.once('exit', (code, signal) => {
        this.#exit ??= { code, signal };
        resolve(this.#exit);
      });
    });
    running.add(this);
    void this.#exited.then(() => running.delete(this));
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** stdout and stderr interleaved, last 64 KiB. */
  get output(): string {
    return this.#output.text;
  }

  /** Set once the process has exited. */
  get exit(): ChildExit | undefined {
    return this.#exit;
  }

  get exited(): Promise<ChildExit> {
    return this.#exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. Idempotent. */
  stop(graceMs = 2000): Promise<void> {
    this.#stopping ??= (async () => {
      if (this.#exit) return;
      this.#signal('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.#exited.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        this.#signal('SIGKILL');
        await this.#exited;
      } else {
        // The leader is gone; its workers, if any straggle, go too.
        this.#signal('SIGKILL');
      }
    })();
    return this.#stopping;
  }

  /** Synchronous, for the process 'exit' hook. */
  kill(): void {
    this.#signal('SIGKILL');
  }

  #signal(signal: NodeJS.Signals): void {
    const pid = this.#child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal); // the whole group this child leads
    } catch {
      // ESRCH: the group is already gone
    }
  }
}

/** One 'exit' hook for all servers rather than one listener each. */
const running = new Set<ServerProcess>();
process.once('exit', () => {
  for (const server of running) server.kill();
});

/**
 * Resolves once `host:port` accepts a TCP connection and `alsoReady` (if
 * given) holds; rejects when the process exits first or `timeoutMs` passes.
 * Only for servers that serve many connections at once (a readiness
 * connection would cost s_server its only slot).
 *
 * A connection alone could be answered by whoever took the port in the race
 * after pickFreePort; `alsoReady` lets the caller require proof that its own
 * server bound it (nginx writes its pid file only after binding).
 */
export async function waitForPort(
  host: string,
  port: number,
  process_: ServerProcess,
  timeoutMs: number,
  alsoReady: () => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (process_.exit) throw new Error(`exited (${describeExit(process_.exit)}) before listening on ${host}:${port}`);
    if (alsoReady() && (await canConnect(host, port))) return;
    if (Date.now() > deadline) throw new Error(`not listening on ${host}:${port} after ${timeoutMs} ms`);
    await delay(50);
  }
}

/**
 * Resolves once the process has printed `marker`; rejects when it exits first
 * or `timeoutMs` passes.
 */
export async function waitForOutput(process_: ServerProcess, marker: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (marker.test(process_.output)) return;
    if (process_.exit) throw new Error(`exited (${describeExit(process_.exit)}) before printing ${marker}`);
    if (Date.now() > deadline) throw new Error(`did not print ${marker} within ${timeoutMs} ms`);
    await delay(25);
  }
}

/**
 * For servers we wrote the main of (the grpc-go and grpcio fixtures): they
 * bind port 0 themselves and print "LISTENING <port>" once bound, so the
 * port is theirs, with no pick-then-bind race to retry. Resolves with it.
 */
export async function waitForAnnouncedPort(process_: ServerProcess, timeoutMs: number): Promise<number> {
  const marker = /^LISTENING (\d+)$/m;
  await waitForOutput(process_, marker, timeoutMs);
  return Number(marker.exec(process_.output)?.[1]);
}

/** A server a fixture started, with its directory of PEMs. */
export interface StartedServer {
  port: number;
  /** Its stdout and stderr, interleaved: the server's own account when a test surprises. */
  output(): string;
  /** Stops the server, then removes its directory. */
  close(): Promise<void>;
}

/** What a fixture hands back once `server` listens on `port`: close() stops it, then removes `dir`. */
export function startedServer(server: ServerProcess, port: number, dir: { remove(): void }): StartedServer {
  return {
    port,
    output: () => server.output,
    close: async () => {
      await server.stop();
      dir.remove();
    },
  };
}

/**
 * Starts `command` in `dir` and waits for its "LISTENING <port>" line. On
 * failure it stops the server, removes `dir` and throws one error that says
 * `what` did not start, with the command and its last output lines.
 */
export async function startAnnouncingServer(
  what: string,
  command: string,
  args: readonly string[],
  dir: { path: string; remove(): void },
  timeoutMs: number,
): Promise<StartedServer> {
  const server = new ServerProcess(command, args, dir.path);
  try {
    return startedServer(server, await waitForAnnouncedPort(server, timeoutMs), dir);
  } catch (error) {
    await server.stop();
    dir.remove();
    throw new Error(`${what} did not start: ${(error as Error).message}\ncommand: ${command} ${args.join(' ')}\n${lastLines(server.output)}`);
  }
}

export function describeExit(exit: ChildExit): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

/** The last `lines` lines of a text, for error messages. */
export function lastLines(text: string, lines = 20): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
