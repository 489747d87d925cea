import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';

/**
 * Age after which a temp file of another host, or of an unknown owner, counts as abandoned. A
 * write in progress updates its file's mtime with every chunk, so only a stalled or crashed
 * writer's file gets this old.
 */
export const ABANDONED_TEMP_AGE_MS = 60 * 60 * 1000;

const HOST = encodeURIComponent(hostname());

/** Returns a fresh temp file name that records the host and process writing it. */
export function newTempName(): string {
  return `${HOST}~${process.pid}~${randomUUID()}.part`;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM means the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * Tells whether `pid` has exited but is not yet reaped by its parent, as a server killed with
 * SIGKILL is for a moment. Such a process still accepts signal 0. Linux shows its state as `Z`
 * in /proc; elsewhere this returns false.
 */
function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // The state follows the command name in parentheses, which may itself contain ")".
  const state = stat.charAt(stat.lastIndexOf(')') + 2);
  return state === 'Z' || state === 'X';
}

/**
 * Tells whether a temp file was left by a writer that is gone: a process of this host that no
 * longer runs, or any writer whose file has not changed for ABANDONED_TEMP_AGE_MS. Several
 * processes may share one storage root, so files of live writers are kept.
 *
 * NOTE: a restarted server that gets the pid of the dead one, as the first process of a
 * container does, keeps that one's temp files until they are ABANDONED_TEMP_AGE_MS old, and they
 * are only swept when a backend starts.
 */
export function isAbandonedTemp(name: string, mtimeMs: number, now = Date.now()): boolean {
  if (now - mtimeMs > ABANDONED_TEMP_AGE_MS) return true;
  const [host, pid] = name.split('~');
  if (host !== HOST || pid === undefined || !/^\d+$/.test(pid)) return false;
  const owner = Number(pid);
  return owner !== process.pid && !isProcessAlive(owner);
}
