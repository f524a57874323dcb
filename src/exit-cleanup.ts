import { constants } from 'node:os';

/**
 * Cleanups that must run however the process ends: at a normal exit, and on
 * SIGINT, SIGTERM or SIGHUP, which would otherwise end Node at once and skip
 * every 'exit' listener (a run's private keys, its report-dir lock). After
 * cleaning up, a signal still ends the process with the conventional status,
 * 128 + the signal's number, as a shell reports a process the signal killed.
 *
 * A command that stops gracefully on a signal (`serve`) can ask for the
 * first signal; a second one ends the process the hard way, so a graceful
 * stop that hangs can always be interrupted.
 */

type Cleanup = () => void;

const cleanups = new Set<Cleanup>();
let gracefulStop: ((signal: NodeJS.Signals) => void) | undefined;
let installed = false;

export const handledSignals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Runs `cleanup` (synchronous, must not throw) once, at exit or on a handled signal; the returned function cancels it. */
export function cleanUpAtExit(cleanup: Cleanup): () => void {
  install();
  cleanups.add(cleanup);
  return () => void cleanups.delete(cleanup);
}

/** The next handled signal calls `stop` instead of ending the process; the returned function cancels it. */
export function stopGracefullyOn(stop: (signal: NodeJS.Signals) => void): () => void {
  install();
  gracefulStop = stop;
  return () => {
    if (gracefulStop === stop) gracefulStop = undefined;
  };
}

/** The exit status a shell gives a process ended by this signal. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runCleanups);
  for (const signal of handledSignals) process.on(signal, onSignal);
}

function onSignal(signal: NodeJS.Signals): void {
  const stop = gracefulStop;
  if (stop) {
    gracefulStop = undefined;
    stop(signal);
    return;
  }
  runCleanups();
  process.stderr.write(`mtlspec: stopped by ${signal}; its temporary files are removed\n`);
  process.exit(signalExitCode(signal));
}

function runCleanups(): void {
  for (const cleanup of [...cleanups]) {
    cleanups.delete(cleanup);
    try {
      cleanup();
    } catch {
      // One failed removal must not keep the others from running, nor turn an exit into a crash.
    }
  }
}
