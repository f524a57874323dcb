import { fileURLToPath } from 'node:url';
import path from 'node:path';

/**
 * The package root. Code runs compiled from dist/src/, so the root is found by
 * walking up from this file rather than from the current directory: the CLI
 * must work from wherever the user invokes it.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
export const packageRoot = path.resolve(here, here.includes(`${path.sep}dist${path.sep}`) ? '../..' : '..');

export const protoDir = path.join(packageRoot, 'proto');
export const featuresDir = path.join(packageRoot, 'features');
