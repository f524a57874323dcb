import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * `mkdir -p` that cannot hang. Node's recursive mkdirSync spins forever on a
 * path it cannot create under a pseudo file system (`/proc/x`: ENOENT on
 * each retry), so a user's --report-dir or --pki-dir there would hang the
 * CLI. This makes each missing folder in turn and lets the first failure
 * throw (ENOENT, EACCES, ENOTDIR).
 */
export function makeDirs(dir: string, mode?: number): void {
  const missing: string[] = [];
  for (let current = path.resolve(dir); !existsSync(current); current = path.dirname(current)) {
    missing.unshift(current);
    if (path.dirname(current) === current) break;
  }
  for (const folder of missing) mkdirSync(folder, mode === undefined ? {} : { mode });
}
