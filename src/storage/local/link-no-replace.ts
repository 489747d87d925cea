import { link, rename } from 'node:fs/promises';
import { errorCode } from './fs-errors.js';

/** `link` errors that mean the filesystem has no hard links, so the file is renamed instead. */
const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Hard-links `from` to `to` and returns true, or returns false when `to` exists. A link never
 * replaces a file, so among concurrent writers exactly one wins. On a filesystem without hard
 * links `from` is renamed to `to`, which replaces any file there.
 */
export async function linkNoReplace(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (err) {
    const code = errorCode(err);
    if (code === 'EEXIST') return false;
    if (code === undefined || !LINK_UNSUPPORTED.has(code)) throw err;
  }
  await rename(from, to);
  return true;
}
