import { isIP } from 'node:net';
import { generateKey } from '../pki/keys.js';
import { importAuthority, signLeaf } from '../pki/index.js';
import { validServerTemplate } from '../pki/template.js';
import type { ReferenceServerOptions, RunningServer, ServerFlaw } from '../servers/types.js';
import { freePort, l4BalancerConfig, startHaproxy } from './haproxy.js';

/**
 * The reference setup behind a layer-4 balancer: N reference servers
 * (replicas), each with a server certificate of its own from the same CA so a
 * client can tell which one answered, behind HAProxy in `mode tcp` with round
 * robin. The first `flawedReplicas` of them carry the flaws: one bad replica
 * out of three is what a single probe per case misses two times in three.
 */

export interface BalancedReplicas extends RunningServer {
  readonly replicas: readonly RunningServer[];
  readonly haproxyVersion: string;
  /** Which replicas carry the flaws (1-based), for the operator's line. */
  readonly flawed: readonly number[];
}

export const maxReplicas = 5;

export async function startBalancedReplicas(
  protocol: RunningServer['protocol'],
  options: ReferenceServerOptions & { caKeyPem: string; hosts: readonly string[] },
  count: number,
  flawedReplicas: number,
): Promise<BalancedReplicas> {
  const host = options.host ?? '127.0.0.1';
  const ca = await importAuthority(options.clientCaPem, options.caKeyPem);
  const now = new Date();
  const hosts = { dnsNames: options.hosts.filter((h) => isIP(h) === 0), ipAddresses: options.hosts.filter((h) => isIP(h) !== 0) };
  const { startReferenceServer } = await import('../servers/index.js');
  const replicas: RunningServer[] = [];
  const flawed: number[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      // The first replica keeps the served server.pem; the others get their own leaf, so each answers with its own fingerprint.
      const leaf = i === 0 ? { certPem: options.certPem, keyPem: options.keyPem } : signLeaf({ ...validServerTemplate(hosts, { now }), subject: `CN=localhost replica ${i + 1}, O=mtlspec` }, await generateKey('ec-p256'), ca);
      const flaws: readonly ServerFlaw[] = i < flawedReplicas ? options.flaws : [];
      if (flaws.length > 0) flawed.push(i + 1);
      replicas.push(await startReferenceServer(protocol, { ...options, certPem: leaf.certPem, keyPem: leaf.keyPem, flaws, host, port: 0 }));
    }
    const port = options.port || (await freePort(host));
    const haproxy = await startHaproxy({ host, port, files: {}, configFor: (_paths, statsSocket) => l4BalancerConfig({ host, port, statsSocket, backends: replicas }) });
    const first = replicas[0];
    if (!first) throw new Error('no replica started');
    return {
      protocol,
      host,
      port,
      // The replica's URL with the balancer's port: the same path, reached through HAProxy.
      url: first.url.replace(`:${first.port}/`, `:${port}/`).replace(new RegExp(`:${first.port}$`), `:${port}`),
      replicas,
      haproxyVersion: haproxy.version,
      flawed,
      close: async () => {
        await haproxy.close();
        await Promise.all(replicas.map((r) => r.close()));
      },
    };
  } catch (error) {
    await Promise.all(replicas.map((r) => r.close()));
    throw error;
  }
}
