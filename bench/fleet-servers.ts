/**
 * The fleet bench's targets: N built-in HTTP/2 servers on N loopback ports,
 * in this one process (a process per server would measure process start-up,
 * not mtlspec). One PKI for all; every fifth server has a flaw, from a
 * cycle of client-verification flaws. Writes the CA's PEMs into the folder
 * it is given (the bench's private scratch folder), prints one JSON line
 * with each server's URL and flaws, and runs until SIGTERM.
 *
 *   node dist/bench/fleet-servers.js COUNT DIR
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRunPki, loopbackHosts } from '../src/pki/index.js';
import { startReferenceServer, type RunningServer } from '../src/servers/index.js';
import type { ServerFlaw } from '../src/servers/types.js';

const spiffeId = 'spiffe://example.org/client';
const flawCycle: readonly ServerFlaw[] = ['accept-any-cert', 'ignore-expiry', 'allow-tls12', 'ignore-eku'];

export interface FleetServers {
  readonly caCert: string;
  readonly caKey: string;
  readonly spiffeId: string;
  readonly servers: ReadonlyArray<{ readonly url: string; readonly flaws: readonly ServerFlaw[] }>;
}

async function main(): Promise<void> {
  const count = Number(process.argv[2]);
  const dir = process.argv[3];
  if (!Number.isInteger(count) || count < 1 || !dir) throw new Error('usage: fleet-servers.js COUNT DIR');
  const pki = await createRunPki({ clientSpiffeId: spiffeId, trustedCa: 'generate', serverHosts: loopbackHosts });
  if (!pki.trustedCa || !pki.server) throw new Error('the PKI has no CA or server certificate');
  const caCert = path.join(dir, 'ca.pem');
  const caKey = path.join(dir, 'ca.key');
  writeFileSync(caCert, pki.trustedCa.certPem);
  writeFileSync(caKey, pki.trustedCa.key.privateKeyPem, { mode: 0o600 });
  const running: Array<{ server: RunningServer; flaws: readonly ServerFlaw[] }> = [];
  for (let i = 0; i < count; i++) {
    const flaw = i % 5 === 4 ? flawCycle[Math.floor(i / 5) % flawCycle.length] : undefined;
    const flaws = flaw ? [flaw] : [];
    const server = await startReferenceServer('http2', { clientCaPem: pki.trustedCa.certPem, certPem: pki.server.certPem, keyPem: pki.server.keyPem, allowedSpiffeIds: [spiffeId], flaws });
    running.push({ server, flaws });
  }
  const ready: FleetServers = { caCert, caKey, spiffeId, servers: running.map(({ server, flaws }) => ({ url: server.url, flaws })) };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  const stop = (): void => void Promise.all(running.map(({ server }) => server.close())).finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`fleet-servers: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
