export { probe, type ProbeRequest, type ClientCredential } from './probe.js';
export * from './outcome.js';
