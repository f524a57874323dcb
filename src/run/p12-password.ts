import path from 'node:path';
import { InputError } from './inputs.js';

/**
 * The password of a PKCS#12 file: from the environment variable named by
 * --p12-password-env, or typed at a prompt when the run has a terminal. It
 * is never a flag's value (flags show in `ps` and shell history) and never
 * part of the run settings, which travel to cucumber's workers and into
 * reports: it stays in this process's memory, keyed by the file.
 */
const typed = new Map<string, string>();

export interface PasswordSource {
  /** The flag that named the file, for messages. */
  readonly flag: string;
  readonly file: string;
  /** The environment variable holding the password (--p12-password-env). */
  readonly passwordEnv?: string;
}

export async function p12Password(source: PasswordSource): Promise<string> {
  if (source.passwordEnv !== undefined) {
    const value = process.env[source.passwordEnv];
    if (value === undefined) throw new InputError(`--p12-password-env ${source.passwordEnv}: that environment variable is not set (it holds the password of ${source.flag} ${source.file})`);
    return value;
  }
  const key = path.resolve(source.file);
  const known = typed.get(key);
  if (known !== undefined) return known;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new InputError(`${source.flag} ${source.file} needs its password: name the environment variable that holds it with --p12-password-env VAR, or run on a terminal to be asked`);
  }
  const password = await promptHidden(`Password for ${source.file}: `);
  typed.set(key, password);
  return password;
}

/** Reads one line from the terminal without echoing it; Ctrl-C ends the run as a signal would. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve) => {
    let answer = '';
    const done = (): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
    };
    const onData = (chunk: Buffer): void => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\u0003') {
          done();
          process.kill(process.pid, 'SIGINT');
          return;
        }
        if (char === '\r' || char === '\n' || char === '\u0004') {
          done();
          resolve(answer);
          return;
        }
        if (char === '\u007f' || char === '\b') answer = answer.slice(0, -1);
        else answer += char;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
