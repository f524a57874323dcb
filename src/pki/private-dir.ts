import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A temp directory only this user can read (0700, files 0600), removed when
 * the process exits: generated private keys never outlive the run or leak to
 * other users of the machine.
 */
export class PrivateDir {
  readonly path: string;
  #removed = false;
  readonly #removeOnExit = (): void => this.remove();

  constructor(prefix = 'mtlspec-') {
    this.path = mkdtempSync(path.join(tmpdir(), prefix)); // mkdtemp creates it 0700
    process.once('exit', this.#removeOnExit);
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
    process.removeListener('exit', this.#removeOnExit);
    rmSync(this.path, { recursive: true, force: true });
  }
}
