import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestStore, type TestDatabaseKind } from '../support/test-store.js';

/** Repository root: the working directory of every CLI run. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Maximum duration of one CLI run; the test kills it and fails after that. */
const RUN_TIMEOUT_MS = 60_000;

/** Outcome of one CLI run. */
export interface CliResult {
  status: number | null;
  stdout: Buffer;
  /** stdout decoded as UTF-8. */
  out: string;
  err: string;
}

/**
 * Environment of a CLI run: PATH and HOME of the test process, no inherited ARTIFACTSTORE_*
 * variable, and the given variables on top.
 */
export function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('ARTIFACTSTORE_')) base[key] = value;
  }
  return { ...base, ...env };
}

/**
 * Starts the real CLI (`node --import tsx src/cli/main.ts …`) without waiting for it. `input`,
 * when given, is written to its stdin, which is closed afterwards; otherwise stdin is empty.
 */
export function startCli(
  args: readonly string[],
  env: Record<string, string>,
  input?: Buffer,
): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: cliEnv(env),
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  child.stdin?.end(input);
  return child;
}

/** Collects the output of a started CLI and waits for it to exit, killing it after 60 s. */
export function collect(child: ChildProcess): Promise<CliResult> {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      const out = Buffer.concat(stdout);
      resolve({
        status,
        stdout: out,
        out: out.toString('utf8'),
        err: Buffer.concat(stderr).toString(),
      });
    });
  });
}

/** Runs the real CLI to completion, with `input` on its stdin when given. */
export function runCli(
  args: readonly string[],
  env: Record<string, string>,
  input?: Buffer,
): Promise<CliResult> {
  return collect(startCli(args, env, input));
}

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
