import { join } from 'node:path';
import { type BenchContext, type Scenario, toolMissing } from '../lib/context.js';
import { type ProductServer, REPO_ROOT, runCli, startProductServer } from '../lib/product.js';
import { runCommand } from '../lib/processes.js';
import type { Row } from '../lib/results.js';
import { repeat } from '../lib/stats.js';
import { makeTempDir, removeTemp } from '../lib/temp.js';

const SECTION = 'Directory of small files (1–8 KiB, fixed seed)';

function row(context: BenchContext, id: string, label: string, kind: Row['kind']): Row {
  const files = context.settings.treeFiles.toLocaleString('en-US');
  return {
    id,
    section: SECTION,
    label: `${label}, ${files} files`,
    kind,
    unit: 'files/s',
    higherIsBetter: true,
  };
}

/** Repeats `measure` (which returns seconds) and records files/s. */
async function recordFilesPerSecond(
  context: BenchContext,
  base: Row,
  measure: (run: number) => Promise<number>,
): Promise<void> {
  const files = context.settings.treeFiles;
  const summary = await repeat(context.settings.runs, async (run) => files / (await measure(run)));
  context.results.add({ ...base, summary });
}

async function measureGit(context: BenchContext): Promise<void> {
  const base = row(context, 'git-add', '`git add -A` in a fresh repository', 'peer');
  const missing = toolMissing(context, 'git');
  if (missing !== undefined) return context.results.addMissing(base, missing);
  await recordFilesPerSecond(context, base, async () => {
    const repoDir = makeTempDir('git');
    await runCommand('git', ['init', '-q', repoDir]);
    const git = ['--git-dir', join(repoDir, '.git'), '--work-tree', context.treeDir];
    const result = await runCommand('git', [...git, 'add', '-A']);
    removeTemp(repoDir);
    return result.seconds;
  });
}

/** Measures the floor of durable small-file writes on this disk with bench/peers/durable-copy.ts. */
async function measureDurableCopy(context: BenchContext): Promise<void> {
  const base = row(
    context,
    'durable-copy',
    'durable copy in Node, each file through a temp file with fsync and rename, 16 in flight',
    'limit',
  );
  const script = join(REPO_ROOT, 'bench', 'peers', 'durable-copy.ts');
  await recordFilesPerSecond(context, base, async () => {
    const dir = makeTempDir('durable-copy');
    const env = { ...process.env, UV_THREADPOOL_SIZE: '16' };
    const args = ['--import', 'tsx', script, context.treeDir, join(dir, 'tree')];
    const result = await runCommand(process.execPath, args, { cwd: REPO_ROOT, env });
    removeTemp(dir);
    return (JSON.parse(result.stdout) as { seconds: number }).seconds;
  });
}

async function measureRestic(context: BenchContext): Promise<void> {
  const base = row(context, 'restic-backup', '`restic backup` to a fresh repository', 'peer');
  const missing = toolMissing(context, 'restic');
  if (missing !== undefined) return context.results.addMissing(base, missing);
  await recordFilesPerSecond(context, base, async () => {
    const dir = makeTempDir('restic');
    const env = { ...process.env, RESTIC_PASSWORD: 'bench', RESTIC_CACHE_DIR: join(dir, 'cache') };
    const repo = ['--repo', join(dir, 'repo')];
    await runCommand('restic', [...repo, 'init'], { env });
    const result = await runCommand('restic', [...repo, 'backup', '--quiet', context.treeDir], {
      env,
    });
    removeTemp(dir);
    return result.seconds;
  });
}

function pushArgs(context: BenchContext, server?: ProductServer): string[] {
  const target = server === undefined ? [] : ['--server', server.url];
  return [
    '--json',
    'push',
    context.treeDir,
    '--name',
    'tree',
    '--producer',
    'bench',
    '--subject',
    'tree',
    '--no-progress',
    ...target,
  ];
}

/** Pushes the tree with the CLI; returns the wall time and the package id. */
async function push(
  context: BenchContext,
  dataDir: string,
  server?: ProductServer,
  nodeFlags: string[] = [],
) {
  const result = await runCli(context.runtime, pushArgs(context, server), dataDir, {}, nodeFlags);
  const output = JSON.parse(result.stdout) as { packageId: string };
  return { seconds: result.seconds, packageId: output.packageId };
}

/** Pushes into a fresh store per run, so no run finds objects stored by an earlier one. */
async function measurePush(context: BenchContext, viaServer: boolean): Promise<void> {
  const where = viaServer ? 'through the server (--server)' : 'into the embedded store';
  const id = viaServer ? 'product-push-server' : 'product-push-embedded';
  await recordFilesPerSecond(
    context,
    row(context, id, `artifactstore push ${where}`, 'product'),
    async () => {
      const dataDir = makeTempDir('push');
      const server = viaServer ? await startProductServer(context.runtime, dataDir) : undefined;
      try {
        return (await push(context, dataDir, server)).seconds;
      } finally {
        await server?.stop();
        removeTemp(dataDir);
      }
    },
  );
}

async function measurePull(context: BenchContext, viaServer: boolean): Promise<void> {
  const where = viaServer ? 'through the server (--server)' : 'from the embedded store';
  const id = viaServer ? 'product-pull-server' : 'product-pull-embedded';
  const dataDir = makeTempDir('pull');
  const server = viaServer ? await startProductServer(context.runtime, dataDir) : undefined;
  try {
    const { packageId } = await push(context, dataDir, server);
    const target = server === undefined ? [] : ['--server', server.url];
    await recordFilesPerSecond(
      context,
      row(context, id, `artifactstore pull ${where}`, 'product'),
      async () => {
        const outDir = makeTempDir('pull-out');
        const args = ['pull', packageId, join(outDir, 'tree'), '--no-progress', ...target];
        const result = await runCli(context.runtime, args, dataDir);
        removeTemp(outDir);
        return result.seconds;
      },
    );
  } finally {
    await server?.stop();
    removeTemp(dataDir);
  }
}

/** git, restic and the product CLI on the same generated directory of small files. */
export const treeScenario: Scenario = {
  name: 'tree',
  async run(context) {
    await measureGit(context);
    await measureRestic(context);
    await measureDurableCopy(context);
    for (const viaServer of [true, false]) {
      await measurePush(context, viaServer);
      await measurePull(context, viaServer);
    }
  },
  async profile(context, profileDir) {
    const dataDir = makeTempDir('push-profile');
    const serverFlags = ['--cpu-prof', '--cpu-prof-dir', join(profileDir, 'server during push')];
    const server = await startProductServer(context.runtime, dataDir, { nodeFlags: serverFlags });
    try {
      const cliFlags = ['--cpu-prof', '--cpu-prof-dir', join(profileDir, 'CLI push --server')];
      await push(context, dataDir, server, cliFlags);
    } finally {
      await server.stop();
      removeTemp(dataDir);
    }
  },
};
