/**
 * Measures the floor of any durable store of small files on this disk. It copies every file
 * under SOURCE to TARGET, 16 files at a time. Each file goes to a new temp file, which is fsynced
 * and renamed to its name, and every target directory is fsynced once at the end. There is no
 * hashing, database or network. It prints the seconds from the first read to the last fsync as
 * JSON, so process start-up is left out.
 *
 * Usage: node --import tsx bench/peers/durable-copy.ts SOURCE TARGET
 */
import { mkdir, open, readdir, readFile, rename } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { syncPath } from '../../src/fs/sync-path.js';

const IN_FLIGHT = 16;

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

async function copyDurably(source: string, target: string): Promise<void> {
  const bytes = await readFile(source);
  const temp = `${target}.tmp`;
  const handle = await open(temp, 'wx', 0o644);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, target);
}

async function main(): Promise<void> {
  const [sourceRoot, targetRoot] = process.argv.slice(2);
  if (sourceRoot === undefined || targetRoot === undefined) {
    throw new Error('usage: durable-copy.ts SOURCE TARGET');
  }
  const started = performance.now();
  const files = await listFiles(sourceRoot);
  const directories = [...new Set(files.map((file) => dirname(join(targetRoot, file))))];
  for (const dir of directories) await mkdir(dir, { recursive: true });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++] as string;
      await copyDurably(join(sourceRoot, file), join(targetRoot, file));
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await Promise.all([...directories, targetRoot].map(syncPath));
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`${JSON.stringify({ files: files.length, seconds })}\n`);
}

await main();
