import { fileURLToPath } from 'node:url';
import { PrivateDir } from '../../src/pki/private-dir.js';
import { lastLines, loopbackHost, ServerProcess, waitForOutput, type ChildExit } from './child-server.js';

/**
 * Starts crashing-server-main.js as a child process: an accept-any HTTP/2
 * server that exits when a client presents an expired certificate. It must
 * be a process of its own, since its crash is the point.
 */

/** The child's exit code when it crashes on purpose, so a test can tell that from any other death. */
export const crashExitCode = 70;

export interface CrashingServer {
  readonly port: number;
  readonly url: string;
  /** Set once the child has exited (crashed, or stopped by close()). */
  exit(): ChildExit | undefined;
  output(): string;
  close(): Promise<void>;
}

const readyTimeoutMs = 10_000;

export async function startCrashingServer({ certPem, keyPem }: { certPem: string; keyPem: string }): Promise<CrashingServer> {
  const dir = new PrivateDir('mtlspec-crashing-');
  const main = fileURLToPath(new URL('./crashing-server-main.js', import.meta.url));
  const child = new ServerProcess(process.execPath, [main, dir.write('server.pem', certPem), dir.write('server.key', keyPem)], dir.path);
  const close = async (): Promise<void> => {
    await child.stop();
    dir.remove();
  };
  try {
    await waitForOutput(child, /^LISTENING \d+$/m, readyTimeoutMs);
  } catch (error) {
    await close();
    throw new Error(`the crashing server did not start: ${(error as Error).message}\n${lastLines(child.output)}`);
  }
  const port = Number(/^LISTENING (\d+)$/m.exec(child.output)?.[1]);
  return {
    port,
    url: `https://${loopbackHost}:${port}/hello`,
    exit: () => child.exit,
    output: () => child.output,
    close,
  };
}
