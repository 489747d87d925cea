import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestStore, type TestDatabaseKind } from '../support/test-store.js';

export {
  REPO_ROOT,
  cliEnv,
  startCli,
  collect,
  runCli,
  type CliResult,
} from '../support/processes.js';
import type { CliResult } from '../support/processes.js';

/** A scratch store for CLI runs: a temp directory with its storage, and its database. */
export interface CliStore {
  dir: string;
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/**
 * Creates a scratch store on `database`: a SQLite file in the store directory, or a PostgreSQL
 * schema of its own. Nothing is migrated yet.
 */
export async function createCliStore(database: TestDatabaseKind): Promise<CliStore> {
  const store = await createTestStore(database);
  return { dir: store.dir, env: store.env, cleanup: () => store.cleanup() };
}

/** Files of the generated tree: nested directories, an empty file, unicode names, 5 MiB. */
export const SAMPLE_FILES: ReadonlyArray<{ path: string; content: Buffer }> = [
  { path: 'README.txt', content: Buffer.from('sample package\n') },
  { path: 'empty.bin', content: Buffer.alloc(0) },
  { path: 'nested/deeper/deepest/leaf.json', content: Buffer.from('{"leaf": true}\n') },
  { path: 'nested/sibling.txt', content: Buffer.from('sibling\n') },
  { path: 'ünïcødé/日本語 ファイル.txt', content: Buffer.from('こんにちは\n') },
  { path: 'big/five-mib.bin', content: randomBytes(5 * 1024 * 1024) },
];

/** Writes the sample tree under `root`. */
export async function writeSampleTree(root: string): Promise<void> {
  for (const file of SAMPLE_FILES) {
    const target = join(root, ...file.path.split('/'));
    await mkdir(join(target, '..'), { recursive: true });
    await writeFile(target, file.content);
  }
}

/** Lists every file under `root` as `/`-separated relative paths, sorted. */
export async function listTree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1))
    .sort();
}

/** Reads one file of a tree by its relative path. */
export function readTreeFile(root: string, path: string): Promise<Buffer> {
  return readFile(join(root, ...path.split('/')));
}

/** Parses the JSON a CLI run printed on stdout, failing with the output when it is not JSON. */
export function parseJson<T>(result: CliResult): T {
  try {
    return JSON.parse(result.out) as T;
  } catch {
    throw new Error(`stdout is not JSON: ${result.out}\nstderr: ${result.err}`);
  }
}
