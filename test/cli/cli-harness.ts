import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** Starts the real CLI (`node --import tsx src/cli/main.ts …`) without waiting for it. */
export function startCli(args: readonly string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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

/** Runs the real CLI to completion. */
export function runCli(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  return collect(startCli(args, env));
}

/** A scratch store for CLI runs: a temp directory with its database and storage inside. */
export interface CliStore {
  dir: string;
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/** Creates a scratch store directory; nothing is migrated yet. */
export async function createCliStore(): Promise<CliStore> {
  const dir = await mkdtemp(join(tmpdir(), 'artifactstore-cli-'));
  return {
    dir,
    env: {
      ARTIFACTSTORE_DATABASE_URL: `sqlite:${join(dir, 'store.db')}`,
      ARTIFACTSTORE_STORAGE_LOCAL_ROOT: join(dir, 'storage'),
      ARTIFACTSTORE_LOG_LEVEL: 'silent',
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
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
