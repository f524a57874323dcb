import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';

/**
 * Reading a file the user names (a PEM, the config file) so that no path can
 * hang or exhaust the run: a regular file, a FIFO or a pipe (`<(cat ca.pem)`,
 * /dev/stdin) is read once, up to a size cap; anything else (a directory, a
 * device such as /dev/zero or a terminal, a socket) is refused before a byte
 * is read. Each failure is a sentence to put after the flag and the path.
 */

/** Far above any PEM bundle or config file (the system's CA bundle is ~200 KiB). */
export const inputSizeCap = 1024 * 1024;
/**
 * How long a FIFO or pipe may take to deliver all it holds. A FIFO nobody
 * writes to would block an ordinary open for ever; a process substitution
 * delivers at once.
 */
export const pipeDeadlineMs = 3000;
const pollMs = 10;

export class InputFileError extends Error {}

/** The file's whole contents as text; throws InputFileError with the reason. */
export function readInputFile(file: string): string {
  return readInputBytes(file).toString('utf8');
}

/** The file's whole contents as bytes (a PKCS#12 file is binary); throws InputFileError with the reason. */
export function readInputBytes(file: string): Buffer {
  // stat first: opening some devices has effects of its own (a terminal, a tape).
  refuseUnlessReadable(statOrThrow(file));
  let fd: number;
  try {
    // Non-blocking: opening a FIFO without a writer returns at once instead of waiting for one.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    throw new InputFileError(describeFsError(error));
  }
  try {
    // Again on what was opened: the path may have been swapped since the stat.
    const stat = fstatSync(fd);
    refuseUnlessReadable(stat);
    return stat.isFIFO() ? readPipe(fd) : readRegular(fd);
  } finally {
    closeSync(fd);
  }
}

function statOrThrow(file: string): Stats {
  try {
    return statSync(file);
  } catch (error) {
    throw new InputFileError(describeFsError(error));
  }
}

function refuseUnlessReadable(stat: Stats): void {
  if (stat.isDirectory()) throw new InputFileError('is a directory');
  if (stat.isCharacterDevice() || stat.isBlockDevice()) throw new InputFileError('is a device, not a file');
  if (stat.isSocket()) throw new InputFileError('is a socket, not a file');
  if (stat.isFile() && stat.size > inputSizeCap) throw new InputFileError(tooLarge());
}

/** Reads to the end in chunks: a file's size may be 0 (procfs) or change after the stat. */
function readRegular(fd: number): Buffer {
  const contents = new BoundedContents();
  const chunk = Buffer.alloc(64 * 1024);
  for (;;) {
    const read = readSync(fd, chunk, 0, chunk.length, null);
    if (read === 0) return contents.all();
    contents.add(chunk, read);
  }
}

/** What has been read so far, refused as soon as it passes the cap. */
class BoundedContents {
  readonly #chunks: Buffer[] = [];
  #length = 0;

  add(chunk: Buffer, length: number): void {
    this.#length += length;
    if (this.#length > inputSizeCap) throw new InputFileError(tooLarge());
    this.#chunks.push(Buffer.from(chunk.subarray(0, length)));
  }

  all(): Buffer {
    return Buffer.concat(this.#chunks, this.#length);
  }
}

/**
 * A FIFO opened without blocking: read() gives EAGAIN while a writer is
 * connected but silent, and 0 at the end, or while no writer has come yet.
 * So an empty read before any writer showed up means "keep waiting", until
 * the deadline.
 */
function readPipe(fd: number): Buffer {
  const deadline = Date.now() + pipeDeadlineMs;
  const contents = new BoundedContents();
  let writerSeen = false;
  const chunk = Buffer.alloc(64 * 1024);
  for (;;) {
    let read: number;
    try {
      read = readSync(fd, chunk, 0, chunk.length, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw new InputFileError(describeFsError(error));
      writerSeen = true;
      read = -1;
    }
    if (read > 0) {
      writerSeen = true;
      contents.add(chunk, read);
      continue;
    }
    if (read === 0 && writerSeen) return contents.all();
    if (Date.now() >= deadline) {
      throw new InputFileError(writerSeen
        ? `is a pipe that did not end within ${pipeDeadlineMs / 1000} s`
        : `is a pipe (FIFO) that nothing wrote to within ${pipeDeadlineMs / 1000} s`);
    }
    sleep(pollMs);
  }
}

/** Blocks the thread: reading inputs happens before the run starts anything that could wait on it. */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function tooLarge(): string {
  return `is larger than ${inputSizeCap / 1024 / 1024} MiB, more than any PEM or config file`;
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'is not readable';
    case 'EISDIR':
      return 'is a directory';
    case 'ENXIO':
      return 'is a socket or device, not a file';
    default:
      return `cannot be read (${code ?? 'error'})`;
  }
}
