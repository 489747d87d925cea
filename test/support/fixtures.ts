import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { cp, lstat, open, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Digest } from '../../src/identity/digest.js';
import { ContentHasher } from '../../src/identity/hasher.js';
import { REPO_ROOT } from './processes.js';

/** Lists every regular file under `root` as paths relative to it, sorted. */
export async function listFiles(root: string, dir = root): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await listFiles(root, full)));
    else if (entry.isFile()) found.push(relative(root, full).split('\\').join('/'));
  }
  return found.sort();
}

/**
 * Copies whole packages of the project's own node_modules into `target` until it holds at least
 * `minFiles` regular files, leaving out symbolic links (`.bin` folders). Returns the file count.
 */
export async function copyNodeModules(target: string, minFiles: number): Promise<number> {
  const source = join(REPO_ROOT, 'node_modules');
  let count = 0;
  for (const name of (await readdir(source)).sort()) {
    if (name.startsWith('.')) continue;
    await cp(join(source, name), join(target, name), {
      recursive: true,
      verbatimSymlinks: true,
      filter: async (path) => !(await lstat(path)).isSymbolicLink(),
    });
    count = (await listFiles(target)).length;
    if (count >= minFiles) return count;
  }
  return count;
}

/** Writes a file of `size` bytes of random data in 8 MiB chunks, without holding it in memory. */
export async function writeRandomFile(path: string, size: number): Promise<void> {
  const chunk = randomBytes(8 * 1024 * 1024);
  const handle = await open(path, 'w');
  try {
    for (let written = 0, index = 0; written < size; index++) {
      chunk.writeUInt32BE(index, 0);
      const length = Math.min(chunk.length, size - written);
      await handle.write(chunk, 0, length);
      written += length;
    }
  } finally {
    await handle.close();
  }
}

/** Hashes a file by streaming it. */
export async function hashFile(path: string): Promise<{ digest: Digest; size: number }> {
  const hasher = new ContentHasher();
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    hasher.update(chunk as Buffer);
  }
  return { digest: hasher.digest(), size: hasher.size };
}

/** Lists the differences between two trees: missing, extra or differing files. */
export async function diffTrees(expected: string, actual: string): Promise<string[]> {
  const want = await listFiles(expected);
  const got = new Set(await listFiles(actual));
  const problems: string[] = [];
  for (const path of want) {
    if (!got.delete(path)) {
      problems.push(`missing ${path}`);
      continue;
    }
    const [a, b] = [join(expected, path), join(actual, path)];
    if ((await stat(a)).size !== (await stat(b)).size) {
      problems.push(`size differs ${path}`);
    } else if ((await hashFile(a)).digest !== (await hashFile(b)).digest) {
      problems.push(`content differs ${path}`);
    }
  }
  for (const extra of got) problems.push(`extra ${extra}`);
  return problems;
}
