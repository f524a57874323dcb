import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanUpAtExit } from '../exit-cleanup.js';
import { currentOwner, ownerMayBeAlive, parseOwner } from '../process-owner.js';

/** Every private folder's name starts with this; the sweep looks at nothing else. */
const namePrefix = 'mtlspec-';
/** Inside each private folder: who made it, so a later process can tell whether it was abandoned. */
export const ownerFileName = '.owner.json';

/**
 * A temp directory only this user can read (0700, files 0600), removed when
 * the process ends: at exit, and on SIGINT, SIGTERM or SIGHUP
 * (exit-cleanup.ts). A SIGKILL leaves it behind, so it holds a note of its
 * owner, and the next run or serve removes it (sweepAbandonedPrivateDirs).
 * Made on the first write: a run that writes nothing leaves nothing.
 */
export class PrivateDir {
  readonly #prefix: string;
  #path: string | undefined;
  #removed = false;
  #cancelCleanup: (() => void) | undefined;

  constructor(prefix = namePrefix) {
    if (!prefix.startsWith(namePrefix)) throw new Error(`a private dir's prefix must start with "${namePrefix}", or no sweep finds it`);
    this.#prefix = prefix;
  }

  /** The folder, made now if it was not yet. */
  get path(): string {
    if (this.#path === undefined) {
      if (this.#removed) throw new Error('this private dir was removed before anything was written to it');
      this.#cancelCleanup = cleanUpAtExit(() => this.remove());
      this.#path = mkdtempSync(path.join(tmpdir(), this.#prefix)); // mkdtemp creates it 0700
      writeFileSync(path.join(this.#path, ownerFileName), JSON.stringify(currentOwner()), { mode: 0o600 });
    }
    return this.#path;
  }

  /** Writes a file readable by the owner only; returns its path. */
  write(name: string, contents: string): string {
    const file = path.join(this.path, name);
    writeFileSync(file, contents, { mode: 0o600 });
    return file;
  }

  remove(): void {
    if (this.#removed) return;
    this.#removed = true;
    this.#cancelCleanup?.();
    if (this.#path !== undefined) rmSync(this.#path, { recursive: true, force: true });
  }
}

/**
 * Removes private folders left by mtlspec processes that were killed
 * (SIGKILL, a crash, a power cut): those in the temp folder whose name starts
 * with "mtlspec-", that are real folders owned by this user, that hold an
 * owner note, and whose owner is no longer running. A folder without a note,
 * or whose owner may be alive, is left alone. Returns what it removed.
 */
export function sweepAbandonedPrivateDirs(root = tmpdir()): string[] {
  const uid = process.getuid?.();
  if (uid === undefined) return [];
  let names: string[];
  try {
    names = readdirSync(root).filter((name) => name.startsWith(namePrefix));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const dir = path.join(root, name);
    if (isAbandoned(dir, uid)) {
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    }
  }
  return removed;
}

function isAbandoned(dir: string, uid: number): boolean {
  try {
    // lstat: a symlink named mtlspec-* is not ours to follow.
    const stat = lstatSync(dir);
    if (!stat.isDirectory() || stat.uid !== uid) return false;
    const owner = parseOwner(readFileSync(path.join(dir, ownerFileName), 'utf8'));
    return owner !== undefined && !ownerMayBeAlive(owner);
  } catch {
    return false;
  }
}
