import { spawn, type ChildProcess } from 'node:child_process';
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
