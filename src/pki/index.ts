export { createRunPki, loopbackHosts, type RunPki, type RunPkiOptions } from './run-pki.js';
export { importAuthority } from './import.js';
export { createRootAuthority, signLeaf, type Authority, type IssuedLeaf } from './authority.js';
export { PrivateDir } from './private-dir.js';
export * from './template.js';
