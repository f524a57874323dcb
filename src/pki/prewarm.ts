import { generateKeyPair, type KeyObject } from 'node:crypto';

/**
 * The run's RSA-2048 key takes ~200 ms to make, and nothing else in the PKI
 * needs as long. bin/mtlspec.js starts it before loading the CLI's modules
 * (~0.5 s of work on the main thread), so the thread pool makes it on the
 * other core meanwhile. Only node:crypto here: this module must load fast.
 */
type KeyPair = { privateKey: KeyObject; publicKey: KeyObject };

let rsa2048: Promise<KeyPair> | undefined;

export function prewarmRsa2048(): void {
  rsa2048 ??= new Promise<KeyPair>((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: 2048 }, (error, publicKey, privateKey) => (error ? reject(error) : resolve({ privateKey, publicKey }))),
  );
  // Whoever takes it sees a failure; an untaken one must not crash the process.
  rsa2048.catch(() => undefined);
}

/** The prewarmed key pair, once; undefined when none was started. */
export function takePrewarmedRsa2048(): Promise<KeyPair> | undefined {
  const key = rsa2048;
  rsa2048 = undefined;
  return key;
}
