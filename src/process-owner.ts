import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Who owns a temp folder or a lock: enough to tell, later and from another
 * process, whether that owner is still running. A pid alone is not: pids are
 * reused, so the process's start time (Linux: /proc/PID/stat) and the boot
 * it ran in are recorded too. Where those cannot be read, the check errs
 * towards "alive": a leftover is kept rather than a live run's files removed.
 */
export interface ProcessOwner {
  readonly pid: number;
  readonly host: string;
  /** Clock ticks since boot when the process started (Linux), or null where unknown. */
  readonly startTicks: number | null;
  /** Linux's boot id, or null where unknown: a pid from another boot names another process. */
  readonly bootId: string | null;
}

export function currentOwner(): ProcessOwner {
  return { pid: process.pid, host: hostname(), startTicks: startTicksOf(process.pid), bootId: currentBootId() };
}

/** Parses what `JSON.stringify(currentOwner())` wrote; undefined for anything else. */
export function parseOwner(text: string): ProcessOwner | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { pid, host, startTicks, bootId } = value as Record<string, unknown>;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0 || typeof host !== 'string') return undefined;
  return {
    pid,
    host,
    startTicks: typeof startTicks === 'number' ? startTicks : null,
    bootId: typeof bootId === 'string' ? bootId : null,
  };
}

/**
 * Whether the owner may still be running. Another host's process cannot be
 * checked (a folder shared over NFS, or a container's), so it counts as alive.
 */
export function ownerMayBeAlive(owner: ProcessOwner): boolean {
  if (owner.host !== hostname()) return true;
  const bootId = currentBootId();
  if (owner.bootId !== null && bootId !== null && owner.bootId !== bootId) return false;
  if (!pidExists(owner.pid)) return false;
  // Same pid, other start time: the pid was reused by a process that is not the owner.
  const startTicks = startTicksOf(owner.pid);
  return owner.startTicks === null || startTicks === null || startTicks === owner.startTicks;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user's process.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Field 22 of /proc/PID/stat; the command name (field 2) may hold spaces and parentheses, so count from the last ")". */
function startTicksOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

let bootId: string | null | undefined;

function currentBootId(): string | null {
  if (bootId === undefined) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      bootId = null;
    }
  }
  return bootId;
}
