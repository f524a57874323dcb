import type { ReferenceServerOptions, RunningServer } from '../servers/types.js';
import { findHaproxy } from './haproxy.js';
import { referenceEchoPattern } from './identity-echo.js';
import { maxReplicas, startBalancedReplicas } from './replicas.js';
import { proxyBackendEchoPattern, proxyHeaderPolicies, startTerminatingProxy, type ProxyHeaderPolicy } from './terminating-proxy.js';

/**
 * `mtlspec serve` behind HAProxy: replicas behind a layer-4 balancer
 * (--replicas), or a plain backend behind a TLS-terminating proxy
 * (--proxy-headers). What the serve command prints and how to run against it.
 */
export interface ServedSetup {
  readonly server: RunningServer;
  /** Lines describing the setup, after the "listening on" line. */
  readonly lines: readonly string[];
  /** What the flaw note says after the flaw names, e.g. " on replica 1". */
  readonly flawNote: string;
  /** Flags the printed `mtlspec run` line needs for this setup. */
  readonly runFlags: string;
}

export interface SetupChoice {
  readonly replicas: number;
  readonly flawedReplicas: number | undefined;
  readonly proxyHeaders: ProxyHeaderPolicy | undefined;
  readonly hasFlaws: boolean;
  readonly protocol: RunningServer['protocol'];
  /** serve --auth: the proxy's backend takes no tokens. */
  readonly auth?: 'none' | 'jwt';
}

/** What is wrong with the setup flags, if anything: one sentence. */
export function setupProblem(choice: SetupChoice): string | undefined {
  const { replicas, flawedReplicas: flawed } = choice;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > maxReplicas) return `--replicas must be a whole number from 1 to ${maxReplicas} (got ${replicas})`;
  if (flawed !== undefined) {
    if (replicas < 2 || !choice.hasFlaws) return '--flawed-replicas needs --replicas 2 or more and a --flaw';
    if (!Number.isInteger(flawed) || flawed < 1 || flawed > replicas) return `--flawed-replicas must be a whole number from 1 to --replicas (${replicas}) (got ${flawed})`;
  }
  if (choice.proxyHeaders !== undefined) {
    if (!proxyHeaderPolicies.includes(choice.proxyHeaders)) return `--proxy-headers must be one of ${proxyHeaderPolicies.join(', ')} (got ${String(choice.proxyHeaders)})`;
    if (choice.protocol !== 'http2') return '--proxy-headers serves an HTTP backend: use it with serve http2';
    if (replicas > 1 || choice.hasFlaws) return '--proxy-headers runs its own backend: it takes neither --replicas nor --flaw (the flaw is --proxy-headers appends)';
    if (choice.auth === 'jwt') return '--proxy-headers runs its own backend, which takes no tokens: leave out --auth jwt';
  }
  if ((replicas > 1 || choice.proxyHeaders !== undefined) && !findHaproxy()) {
    return `${replicas > 1 ? '--replicas' : '--proxy-headers'} needs HAProxy, and it is not installed (Debian: apt-get install haproxy)`;
  }
  return undefined;
}

/** Starts the setup the flags ask for; undefined for a plain reference server. */
export async function startServedSetup(choice: SetupChoice, options: ReferenceServerOptions & { caKeyPem: string; hosts: readonly string[] }): Promise<ServedSetup | undefined> {
  if (choice.proxyHeaders !== undefined) {
    const proxy = await startTerminatingProxy({ policy: choice.proxyHeaders, clientCaPem: options.clientCaPem, certPem: options.certPem, keyPem: options.keyPem, ...(options.host ? { host: options.host } : {}) });
    const url = new URL(proxy.url);
    return {
      server: { protocol: 'http2', host: url.hostname, port: Number(url.port), url: proxy.url, close: () => proxy.close() },
      lines: [
        `  HAProxy ${proxy.haproxy.version}, mode http, terminates mTLS and ${choice.proxyHeaders === 'overwrites' ? 'overwrites X-SSL-Client-Cert with the verified certificate (correct)' : 'appends the verified certificate to the X-SSL-Client-Cert the client sent (flawed)'}`,
        `  backend (plain HTTP, trusts the first X-SSL-Client-Cert): ${proxy.backendUrl}`,
      ],
      flawNote: '',
      runFlags: ` --tags @proxy-identity --identity-echo '${proxyBackendEchoPattern}'`,
    };
  }
  if (choice.replicas <= 1) return undefined;
  const balanced = await startBalancedReplicas(choice.protocol, options, choice.replicas, choice.flawedReplicas ?? choice.replicas);
  return {
    server: balanced,
    lines: [`  HAProxy ${balanced.haproxyVersion}, mode tcp (TLS passed through), round robin over ${balanced.replicas.length} replicas: ${balanced.replicas.map((r) => r.url).join(' ')}`],
    flawNote: ` on replica ${balanced.flawed.join(', ')}`,
    runFlags: ` --repeat ${balanced.replicas.length}${choice.protocol === 'http2' ? ` --identity-echo '${referenceEchoPattern}'` : ''}`,
  };
}
