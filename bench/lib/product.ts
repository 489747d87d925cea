import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type CommandResult,
  runCommand,
  spawnTracked,
  stopProcess,
  waitForListenUrl,
} from './processes.js';
import { makeTempDir } from './temp.js';

/** Repository root, where the CLI runs from. */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/** Launch command of the product's CLI: the compiled JS, or the TypeScript sources through tsx. */
export interface ProductRuntime {
  label: 'built JS (tsc output)' | 'tsx (TypeScript sources)';
  nodeArgs: string[];
}

/**
 * Compiles src/ with tsconfig.build.json into a private temp build, so that other builds of dist/
 * cannot change the product during a run. Compiled JS starts faster and has no transpiler in the
 * request path, so it is used whenever `version` runs from it; otherwise tsx runs the sources.
 * package.json is copied beside dist/ because the CLI reads its version from there, and
 * node_modules is a symlink to the repository's.
 */
export async function prepareProduct(log: (line: string) => void): Promise<ProductRuntime> {
  const buildRoot = makeTempDir('build');
  copyFileSync(join(REPO_ROOT, 'package.json'), join(buildRoot, 'package.json'));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(buildRoot, 'node_modules'));
  const outDir = join(buildRoot, 'dist');
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const build = await runCommand(
    process.execPath,
    [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir],
    {
      cwd: REPO_ROOT,
      check: false,
    },
  );
  if (build.code !== 0) log(`tsc exited with ${build.code}; trying the emitted JS anyway`);
  const entry = join(outDir, 'cli', 'main.js');
  if (existsSync(entry)) {
    const probe = await runCommand(process.execPath, [entry, 'version'], {
      cwd: REPO_ROOT,
      check: false,
    });
    // The same V8 flag as bin/artifactstore.js, so the benchmark runs what users run.
    if (probe.code === 0) {
      return { label: 'built JS (tsc output)', nodeArgs: ['--max-semi-space-size=4', entry] };
    }
  }
  log('the compiled CLI does not run; using tsx on src/cli/main.ts');
  return { label: 'tsx (TypeScript sources)', nodeArgs: ['--import', 'tsx', 'src/cli/main.ts'] };
}

/** Environment of a store whose database and local storage live under `dataDir`. */
export function storeEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ARTIFACTSTORE_DATABASE_URL: `sqlite:${join(dataDir, 'db.sqlite')}`,
    ARTIFACTSTORE_STORAGE_LOCAL_ROOT: join(dataDir, 'storage'),
    ARTIFACTSTORE_LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** Runs one CLI command against the store under `dataDir`. */
export function runCli(
  runtime: ProductRuntime,
  args: string[],
  dataDir: string,
  extraEnv: Record<string, string> = {},
  nodeFlags: string[] = [],
): Promise<CommandResult> {
  return runCommand(process.execPath, [...nodeFlags, ...runtime.nodeArgs, ...args], {
    cwd: REPO_ROOT,
    env: storeEnv(dataDir, extraEnv),
    timeoutMs: 900_000,
  });
}

/** A running `artifactstore serve` child. */
export interface ProductServer {
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Options of `startProductServer`. */
export interface ServerOptions {
  extraEnv?: Record<string, string>;
  /** Extra node flags placed before the entry point, such as `--cpu-prof`. */
  nodeFlags?: string[];
}

/** Starts `serve --port 0` on 127.0.0.1 and waits for its "listening on" line. */
export async function startProductServer(
  runtime: ProductRuntime,
  dataDir: string,
  options: ServerOptions = {},
): Promise<ProductServer> {
  const args = [
    ...(options.nodeFlags ?? []),
    ...runtime.nodeArgs,
    'serve',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
  ];
  const child = spawnTracked(process.execPath, args, {
    cwd: REPO_ROOT,
    env: storeEnv(dataDir, options.extraEnv),
  });
  const url = await waitForListenUrl(child, 'artifactstore serve');
  return { url, pid: child.pid!, child, stop: () => stopProcess(child, 30_000) };
}
