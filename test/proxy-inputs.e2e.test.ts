import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { runCli } from './support/cli.js';
import { ensureCommand } from './support/ensure-package.js';

/** Bad balancer and proxy flags: one line, exit 2, before any server or network. */
const cases: ReadonlyArray<readonly [readonly string[], RegExp]> = [
  [['run', '--repeat', '0'], /^mtlspec: --repeat must be a whole number of connections from 1 to 10 \(got 0\)$/],
  [['run', '--repeat', '2.5'], /--repeat must be a whole number of connections from 1 to 10 \(got 2\.5\)/],
  [['run', '--repeat', 'many'], /--repeat must be a whole number of connections from 1 to 10 \(got NaN\)/],
  [['run', '--repeat', '11'], /--repeat must be a whole number of connections from 1 to 10 \(got 11\)/],
  [['run', '--identity-echo', '"caller":"(['], /--identity-echo ""caller":"\(\[" is not a regular expression: .*Unterminated character class/],
  [['run', '--backend', 'http://127.0.0.1:1/'], /--backend needs --target: it is the service behind the target's proxy/],
  [['serve', 'http2', '--replicas', '9'], /--replicas must be a whole number from 1 to 5 \(got 9\)/],
  [['serve', 'http2', '--flawed-replicas', '1', '--flaw', 'accept-any-cert'], /--flawed-replicas needs --replicas 2 or more and a --flaw/],
  [['serve', 'grpc', '--proxy-headers', 'overwrites'], /--proxy-headers serves an HTTP backend: use it with serve http2/],
  [['serve', 'http2', '--proxy-headers', 'appends', '--replicas', '2'], /--proxy-headers runs its own backend: it takes neither --replicas nor --flaw/],
  [['serve', 'http2', '--proxy-headers', 'appends', '--auth', 'jwt'], /--proxy-headers runs its own backend, which takes no tokens: leave out --auth jwt/],
];

describe('balancer and proxy flags', { concurrency: 4 }, () => {
  for (const [args, message] of cases) {
    it(`mtlspec ${args.join(' ')}: one line, exit 2`, async () => {
      const run = await runCli(args, 15_000);
      assert.equal(run.code, 2, run.stdout + run.stderr);
      assert.match(run.stderr.trim(), message);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    });
  }
});

describe('serve behind HAProxy on a port someone else holds', () => {
  it('says the port is taken, exit 2, instead of mistaking the other listener for HAProxy', async () => {
    ensureCommand('haproxy', 'haproxy');
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', () => resolve()));
    const address = holder.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const run = await runCli(['serve', 'http2', '--replicas', '2', '--port', String(port)], 20_000);
      assert.equal(run.code, 2, run.stdout + run.stderr);
      assert.equal(run.stderr.trim(), `mtlspec: HAProxy cannot listen on 127.0.0.1:${port}: the port is taken; choose another with --port, or leave it to pick a free one`);
    } finally {
      holder.close();
    }
  });
});
