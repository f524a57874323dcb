import { accessSync, constants, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { cleanUpAtExit } from '../exit-cleanup.js';
import { makeDirs } from '../make-dirs.js';
import { currentOwner, ownerMayBeAlive, parseOwner, type ProcessOwner } from '../process-owner.js';
import { InputError } from './inputs.js';

/** The report files of a run, by role. */
export interface ReportPaths {
  readonly html: string;
  readonly junit: string;
  readonly messages: string;
  readonly results: string;
  readonly index: string;
}

/** Where each report goes in a folder: the one list of the files a run writes. */
export function reportPaths(dir: string): ReportPaths {
  return {
    html: path.join(dir, 'conformance.html'),
    junit: path.join(dir, 'junit.xml'),
    messages: path.join(dir, 'messages.ndjson'),
    results: path.join(dir, 'results.json'),
    index: path.join(dir, 'index.html'),
  };
}

const lockName = '.mtlspec.lock';
const stagingPrefix = '.mtlspec-staging-';

/**
 * A --report-dir held by one run at a time. Two runs writing the same
 * folder would tear each other's files, or leave a junit.xml from one run
 * beside the exit code of the other: so a run takes a lock file (naming its
 * pid), removes the previous run's reports, writes its own into a staging
 * folder inside, and renames each into place at the end. An interrupted run
 * leaves no reports rather than stale or half-written ones. A lock whose
 * owner is dead (killed with SIGKILL) is taken over.
 */
export class ReportDir {
  readonly #dir: string;
  readonly #lock: string;
  /** Where this run's reports are written before they are published. */
  readonly staging: string;
  readonly #cancelCleanup: () => void;
  #released = false;

  private constructor(dir: string) {
    this.#dir = path.resolve(dir);
    this.#lock = path.join(this.#dir, lockName);
    this.staging = path.join(this.#dir, `${stagingPrefix}${process.pid}`);
    this.#cancelCleanup = cleanUpAtExit(() => this.release());
  }

  /** Makes the folder if needed and takes it for this run; InputError when it cannot be used or another run holds it. */
  static claim(dir: string): ReportDir {
    assertUsable(dir);
    const reportDir = new ReportDir(dir);
    try {
      reportDir.#takeLock(dir);
      reportDir.#clear();
      mkdirSync(reportDir.staging, { mode: 0o700 });
    } catch (error) {
      reportDir.release();
      throw error;
    }
    return reportDir;
  }

  /** Moves the staged reports into the folder, each by one atomic rename; returns where they are now. */
  publish(staged: ReportPaths): ReportPaths {
    const published = reportPaths(this.#dir);
    // junit.xml last: a CI step that waits for it finds the others already there.
    for (const role of ['messages', 'results', 'html', 'index', 'junit'] as const) {
      try {
        renameSync(staged[role], published[role]);
      } catch (error) {
        // A report the run did not write (cucumber failed early) is simply absent.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return published;
  }

  /** Removes the staging folder and gives the lock up. Idempotent; safe at exit. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#cancelCleanup();
    rmSync(this.staging, { recursive: true, force: true });
    if (this.#lockOwner()?.pid === process.pid) rmSync(this.#lock, { force: true });
  }

  #takeLock(given: string): void {
    const note = JSON.stringify({ ...currentOwner(), startedAt: new Date().toISOString() });
    // Two tries: the second after taking over a lock whose owner is dead.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(this.#lock, note, { flag: 'wx', mode: 0o644 });
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new InputError(`--report-dir ${given} cannot be used (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      const staleText = this.#lockText();
      const owner = this.#lockOwner();
      if (owner && ownerMayBeAlive(owner)) throw new InputError(heldBy(given, owner, this.#lock));
      // Dead owner, or a note that never got its contents: stale. Taken over by a rename, which one run alone can win,
      // then checked: if what was moved is not the stale note read above, another run had taken the lock over in the
      // meantime, and its lock is put back rather than removed.
      const moved = `${this.#lock}.stale-${process.pid}`;
      try {
        renameSync(this.#lock, moved);
      } catch {
        continue; // Another run moved it first; the next attempt finds that run's lock.
      }
      let movedText: string | undefined;
      try {
        movedText = readFileSync(moved, 'utf8');
      } catch {
        movedText = undefined;
      }
      if (movedText !== staleText) {
        try {
          linkSync(moved, this.#lock);
        } catch {
          // A lock is there again already: that run holds the folder.
        }
        rmSync(moved, { force: true });
        throw new InputError(`--report-dir ${given} is being claimed by another mtlspec run at the same moment; try again`);
      }
      rmSync(moved, { force: true });
    }
    throw new InputError(`--report-dir ${given} is being claimed by another mtlspec run at the same moment; try again`);
  }

  #lockText(): string | undefined {
    try {
      return readFileSync(this.#lock, 'utf8');
    } catch {
      return undefined;
    }
  }

  #lockOwner(): (ProcessOwner & { startedAt?: string }) | undefined {
    try {
      const text = readFileSync(this.#lock, 'utf8');
      const owner = parseOwner(text);
      const startedAt = (JSON.parse(text) as { startedAt?: unknown }).startedAt;
      return owner && { ...owner, ...(typeof startedAt === 'string' ? { startedAt } : {}) };
    } catch {
      return undefined;
    }
  }

  /** The previous run's reports and any staging folder a killed run left: this run's lock says none is live. */
  #clear(): void {
    for (const file of Object.values(reportPaths(this.#dir))) rmSync(file, { force: true });
    for (const name of readdirSync(this.#dir)) {
      if (name.startsWith(stagingPrefix)) rmSync(path.join(this.#dir, name), { recursive: true, force: true });
    }
  }
}

function heldBy(given: string, owner: ProcessOwner & { startedAt?: string }, lock: string): string {
  const since = owner.startedAt ? `, started ${owner.startedAt}` : '';
  const where = owner.host === hostname() ? '' : ` on ${owner.host}`;
  return `--report-dir ${given} is in use by another mtlspec run (pid ${owner.pid}${where}${since}); wait for it to end, or give another --report-dir (if no such run exists, remove ${lock})`;
}

/** A report folder that cannot be made is bad input, said before anything touches the network. */
function assertUsable(dir: string): void {
  try {
    makeDirs(dir);
    accessSync(dir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'ENOTDIR' ? 'a file is in the way' : code === 'EACCES' ? 'it is not writable' : code;
    throw new InputError(`--report-dir ${dir} cannot be used (${why})`);
  }
}
