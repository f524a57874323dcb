export { createRunPki, type RunPki, type RunPkiOptions } from './run-pki.js';
export { createRootAuthority, signLeaf, type Authority, type IssuedLeaf } from './authority.js';
export { PrivateDir } from './private-dir.js';
export * from './template.js';
