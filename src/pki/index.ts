export { createRunPki, loopbackHosts, writeTrustedCaCrl, type RunPki, type RunPkiOptions } from './run-pki.js';
export type { AuthoritySigner } from './run-authorities.js';
export { importAuthority } from './import.js';
export { createRootAuthority, signLeaf, type Authority, type IssuedLeaf } from './authority.js';
export { createCrl, revokedSerialFor, writeCrl } from './revocation.js';
export { PrivateDir } from './private-dir.js';
export * from './template.js';
