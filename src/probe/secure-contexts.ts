import tls from 'node:tls';
import type { ProbeRequest } from './probe.js';

/**
 * Building a TLS secure context (parsing the key, the certificates, the CA
 * bundle) costs more than the handshake on loopback, and a run probes with
 * the same few credentials over and over. So contexts are kept per credential
 * object and per the other settings that go into one. Keyed weakly on the
 * credential, so they go when the run's credentials do.
 */
const byCredential = new WeakMap<object, Map<string, tls.SecureContext>>();
/** For probes that present no certificate. */
const noCredential = {};

export function secureContextFor(request: Pick<ProbeRequest, 'credential' | 'serverCaPem' | 'clientCiphers' | 'tlsVersions'>): tls.SecureContext {
  const { credential, serverCaPem, clientCiphers, tlsVersions } = request;
  const owner = credential ?? noCredential;
  let contexts = byCredential.get(owner);
  if (!contexts) {
    contexts = new Map();
    byCredential.set(owner, contexts);
  }
  const key = JSON.stringify([serverCaPem ?? '', clientCiphers ?? '', tlsVersions?.min ?? '', tlsVersions?.max ?? '']);
  let context = contexts.get(key);
  if (!context) {
    context = tls.createSecureContext({
      ...(credential ? { cert: [credential.certPem, ...credential.chainPems].join(''), key: credential.keyPem } : {}),
      ...(serverCaPem ? { ca: serverCaPem } : {}),
      ...(clientCiphers ? { ciphers: clientCiphers } : {}),
      minVersion: tlsVersions?.min ?? 'TLSv1.2',
      maxVersion: tlsVersions?.max ?? 'TLSv1.3',
    });
    contexts.set(key, context);
  }
  return context;
}
