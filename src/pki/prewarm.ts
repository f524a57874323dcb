import type { KeyObject } from 'node:crypto';

/**
 * The run's RSA-2048 key takes ~200 ms to make, and nothing else in the PKI
 * needs as long. bin/mtlspec.js starts it on the thread pool before it loads
 * the CLI's code, then hands it over here; keys.ts takes it when a run first
 * needs an RSA-2048 key. Only types imported here: this module must stay small.
 */
export type KeyPair = { privateKey: KeyObject; publicKey: KeyObject };

let rsa2048: Promise<KeyPair> | undefined;

export function offerPrewarmedRsa2048(key: Promise<KeyPair>): void {
  // Whoever takes it sees a failure; an untaken one must not crash the process.
  key.catch(() => undefined);
  rsa2048 = key;
}

/** The prewarmed key pair, once; undefined when none was offered. */
export function takePrewarmedRsa2048(): Promise<KeyPair> | undefined {
  const key = rsa2048;
  rsa2048 = undefined;
  return key;
}
