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
    return true;
  } catch (err) {
    // EPERM means the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Tells whether a temp file was left by a writer that is gone: a process of this host that no
 * longer runs, or any writer whose file has not changed for ABANDONED_TEMP_AGE_MS. Several
 * processes may share one storage root, so files of live writers are kept.
 */
export function isAbandonedTemp(name: string, mtimeMs: number, now = Date.now()): boolean {
  if (now - mtimeMs > ABANDONED_TEMP_AGE_MS) return true;
  const [host, pid] = name.split('~');
  if (host !== HOST || pid === undefined || !/^\d+$/.test(pid)) return false;
  const owner = Number(pid);
  return owner !== process.pid && !isProcessAlive(owner);
}
