import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { loopbackHost } from './support/child-server.js';
import { planDecider, startFaultProxy, type FaultPlan, type FaultProxy } from './support/fault-proxy.js';

/**
 * The fault proxy does what each mode says, connection by connection, and
 * counts it: the end-to-end fault tests lean on it, so a proxy that quietly
 * forwarded everything would make them pass for nothing.
 */

/** What one client connection saw after sending "ping". */
type Seen = 'echoed' | 'closed' | 'reset' | 'silent';

const silentAfterMs = 300;
const upstreamSockets = new Set<net.Socket>();
const proxies: FaultProxy[] = [];
let upstream: net.Server;
let upstreamPort: number;

before(async () => {
  // An echo server: a forwarded connection gets its own bytes back.
  upstream = net.createServer((socket) => {
    upstreamSockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => upstreamSockets.delete(socket));
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => upstream.listen(0, loopbackHost, resolve));
  upstreamPort = (upstream.address() as net.AddressInfo).port;
});

after(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  for (const socket of upstreamSockets) socket.destroy();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

async function proxyWith(plan: FaultPlan): Promise<FaultProxy> {
  const proxy = await startFaultProxy({ upstreamPort, plan });
  proxies.push(proxy);
  return proxy;
}

/** Connects, sends "ping" and reports what came back, within `silentAfterMs`. */
function exchange(port: number): Promise<Seen> {
  return new Promise((resolve) => {
    const socket = net.connect(port, loopbackHost);
    let settled = false;
    const done = (seen: Seen): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(seen);
    };
    const timer = setTimeout(() => done('silent'), silentAfterMs);
    socket.once('connect', () => socket.write('ping'));
    socket.once('data', (chunk: Buffer) => done(chunk.toString() === 'ping' ? 'echoed' : 'silent'));
    socket.once('end', () => done('closed'));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNRESET' ? 'reset' : 'closed'));
  });
}

/** `count` connections, one after the other, as the harness makes them. */
async function exchanges(port: number, count: number): Promise<Seen[]> {
  const seen: Seen[] = [];
  for (let i = 0; i < count; i++) seen.push(await exchange(port));
  return seen;
}

describe('fault proxy modes', () => {
  it('forward-first K then close: K echoed, then a clean FIN before any byte is forwarded', async () => {
    const proxy = await proxyWith({ kind: 'forward-first', forward: 2, then: 'close' });
    assert.deepEqual(await exchanges(proxy.port, 4), ['echoed', 'echoed', 'closed', 'closed']);
    assert.deepEqual(proxy.counts(), { accepted: 4, forwarded: 2, faulted: { close: 2, reset: 0, hang: 0 } });
  });

  it('forward-first K then reset: K echoed, then a reset', async () => {
    const proxy = await proxyWith({ kind: 'forward-first', forward: 1, then: 'reset' });
    assert.deepEqual(await exchanges(proxy.port, 3), ['echoed', 'reset', 'reset']);
    assert.deepEqual(proxy.counts(), { accepted: 3, forwarded: 1, faulted: { close: 0, reset: 2, hang: 0 } });
  });

  it('every-nth: connections n, 2n, ... fault, the rest go through', async () => {
    const proxy = await proxyWith({ kind: 'every-nth', n: 3, action: 'close' });
    assert.deepEqual(await exchanges(proxy.port, 6), ['echoed', 'echoed', 'closed', 'echoed', 'echoed', 'closed']);
    assert.equal(proxy.counts().faulted.close, 2);
  });

  it('token-bucket: the bucket empties, and faults until it refills', async () => {
    const proxy = await proxyWith({ kind: 'token-bucket', capacity: 2, refillPerSecond: 0, action: 'reset' });
    assert.deepEqual(await exchanges(proxy.port, 4), ['echoed', 'echoed', 'reset', 'reset']);
    assert.deepEqual(proxy.counts(), { accepted: 4, forwarded: 2, faulted: { close: 0, reset: 2, hang: 0 } });
  });

  it('token-bucket refill, on a clock the test controls', () => {
    const decide = planDecider({ kind: 'token-bucket', capacity: 2, refillPerSecond: 4, action: 'close' });
    // Two tokens at t=0, then one every 250 ms, never more than two.
    const at = (index: number, ms: number): string => decide(index, ms);
    assert.deepEqual([at(1, 0), at(2, 0), at(3, 100), at(4, 250), at(5, 260), at(6, 5000), at(7, 5000), at(8, 5000)], [
      'forward', 'forward', 'close', 'forward', 'close', 'forward', 'forward', 'close',
    ]);
  });

  it('hang after K: accepted and never answered, until close() destroys it', async () => {
    const proxy = await proxyWith({ kind: 'forward-first', forward: 1, then: 'hang' });
    assert.deepEqual(await exchanges(proxy.port, 2), ['echoed', 'silent']);
    assert.deepEqual(proxy.counts().faulted, { close: 0, reset: 0, hang: 1 });

    // A client that waits on is let go when the proxy closes.
    const waiting = net.connect(proxy.port, loopbackHost);
    waiting.on('error', () => undefined);
    await new Promise((resolve) => waiting.once('connect', resolve));
    const closed = new Promise((resolve) => waiting.once('close', resolve));
    await proxy.close();
    await closed;
  });

  it('close() ends forwarded connections too, and is idempotent', async () => {
    const proxy = await proxyWith({ kind: 'forward-first', forward: 5, then: 'reset' });
    const client = net.connect(proxy.port, loopbackHost);
    client.on('error', () => undefined);
    await new Promise((resolve) => client.once('connect', resolve));
    client.write('ping');
    await new Promise((resolve) => client.once('data', resolve));
    const closed = new Promise((resolve) => client.once('close', resolve));
    await Promise.all([proxy.close(), proxy.close()]);
    await closed;
  });

  it('rejects an every-nth plan with n below 1', () => {
    assert.throws(() => planDecider({ kind: 'every-nth', n: 0, action: 'reset' }), /whole n >= 1/);
  });
});
