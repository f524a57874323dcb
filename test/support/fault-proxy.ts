import net from 'node:net';
import { loopbackHost } from './child-server.js';
import { listenOnLoopback } from './hostile-servers.js';

/**
 * A TCP proxy on loopback that forwards some connections to an upstream port
 * and faults the others, the way a real target misbehaves mid-run: a load
 * balancer that drops connections over a limit, a server that starts
 * resetting, a port that stops answering. It works below TLS, so whatever
 * the client sees of a faulted connection happens before it could send a
 * certificate: a harness that reads that as "the certificate was refused"
 * turns an outage into a pass.
 */

/**
 * What happens to a faulted connection:
 * - close: FIN at once, before a byte is forwarded (the TLS client sees EOF mid-handshake);
 * - reset: RST at once (`resetAndDestroy`), as a SYN-flood guard or a crashed backend does;
 * - hang: accepted, then never forwarded nor answered, until the client gives up.
 */
export type FaultAction = 'close' | 'reset' | 'hang';

/** Which connections fault. Connections are numbered from 1 in the order they were accepted. */
export type FaultPlan =
  /** The first `forward` connections go through; every later one faults. */
  | { readonly kind: 'forward-first'; readonly forward: number; readonly then: FaultAction }
  /** Connection n, 2n, 3n, ... faults; the others go through. */
  | { readonly kind: 'every-nth'; readonly n: number; readonly action: FaultAction }
  /** A connection takes a token; when none is left it faults. Tokens come back at `refillPerSecond`, up to `capacity`. */
  | { readonly kind: 'token-bucket'; readonly capacity: number; readonly refillPerSecond: number; readonly action: FaultAction };

export interface FaultCounts {
  readonly accepted: number;
  readonly forwarded: number;
  readonly faulted: Readonly<Record<FaultAction, number>>;
}

export interface FaultProxy {
  readonly port: number;
  /** Counts so far: accepted = forwarded + every faulted. */
  counts(): FaultCounts;
  /** Destroys every socket (both sides of forwarded ones, and hung ones) and stops listening. Idempotent. */
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  readonly upstreamPort: number;
  readonly plan: FaultPlan;
  /** A hung connection is destroyed after this long even if the client waits on: nothing the tests start may live forever. */
  readonly hangLimitMs?: number;
  /** Connecting to the upstream may take this long before the client is reset. */
  readonly upstreamConnectMs?: number;
}

/** More than any test needs open at once; a runaway client cannot make the proxy hold thousands of sockets. */
const maxConnections = 64;

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const decide = planDecider(options.plan);
  const hangLimitMs = options.hangLimitMs ?? 30_000;
  const upstreamConnectMs = options.upstreamConnectMs ?? 5000;
  const counts = { accepted: 0, forwarded: 0, faulted: { close: 0, reset: 0, hang: 0 } };

  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    counts.accepted += 1;
    const action = decide(counts.accepted, performance.now());
    if (action === 'forward') {
      counts.forwarded += 1;
      forward(client, net.connect(options.upstreamPort, loopbackHost), upstreamConnectMs);
      return;
    }
    counts.faulted[action] += 1;
    if (action === 'close') {
      // Read and drop what the client sent, so the FIN goes out clean (a socket
      // closed with unread bytes would answer with a reset instead) and the
      // client's own FIN ends the socket.
      client.resume();
      client.end();
    } else if (action === 'reset') {
      client.resetAndDestroy();
    } else {
      // Never resumed: whatever the client writes stays unread in the kernel buffer.
      const timer = setTimeout(() => client.destroy(), hangLimitMs);
      client.once('close', () => clearTimeout(timer));
    }
  });
  server.maxConnections = maxConnections;
  // Closing destroys every accepted socket; a forwarded pair and a hang timer go with their client socket.
  const listening = await listenOnLoopback(server);
  let closing: Promise<void> | undefined;
  return {
    port: listening.port,
    counts: () => ({ accepted: counts.accepted, forwarded: counts.forwarded, faulted: { ...counts.faulted } }),
    close: () => (closing ??= listening.close()),
  };
}

/** Pipes both ways; whichever side ends or fails, both go, so no half-open pair outlives its connection. */
function forward(client: net.Socket, upstream: net.Socket, connectMs: number): void {
  upstream.on('error', () => undefined);
  const connectTimer = setTimeout(() => upstream.destroy(), connectMs);
  upstream.once('connect', () => {
    clearTimeout(connectTimer);
    client.pipe(upstream).pipe(client);
    client.resume();
  });
  const end = (): void => {
    clearTimeout(connectTimer);
    client.destroy();
    upstream.destroy();
  };
  client.once('close', end);
  upstream.once('close', end);
}

/** The plan as a function of (connection number, now in ms) to what happens to that connection. */
export function planDecider(plan: FaultPlan): (index: number, nowMs: number) => 'forward' | FaultAction {
  switch (plan.kind) {
    case 'forward-first':
      return (index) => (index <= plan.forward ? 'forward' : plan.then);
    case 'every-nth': {
      if (!Number.isInteger(plan.n) || plan.n < 1) throw new Error(`every-nth needs a whole n >= 1 (got ${plan.n})`);
      return (index) => (index % plan.n === 0 ? plan.action : 'forward');
    }
    case 'token-bucket': {
      let tokens = plan.capacity;
      let last: number | undefined;
      return (_index, nowMs) => {
        tokens = Math.min(plan.capacity, tokens + ((nowMs - (last ?? nowMs)) / 1000) * plan.refillPerSecond);
        last = nowMs;
        if (tokens < 1) return plan.action;
        tokens -= 1;
        return 'forward';
      };
    }
  }
}
