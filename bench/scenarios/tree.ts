import { join } from 'node:path';
import { type BenchContext, type Scenario, toolMissing } from '../lib/context.js';
import { type ProductServer, REPO_ROOT, runCli, startProductServer } from '../lib/product.js';
import { runCommand } from '../lib/processes.js';
import type { Row } from '../lib/results.js';
import { repeatInTurns } from '../lib/stats.js';
import { makeTempDir, removeAtEnd, removeTemp } from '../lib/temp.js';

const SECTION = 'Directory of small files (1–8 KiB, fixed seed)';

/** One way of processing the tree; `seconds` runs it once and returns the wall time. */
interface TreeTarget {
  row: Row;
  seconds(run: number): Promise<number>;
}

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

/** Makes a temp directory that stays until the end of the bench run (see `removeAtEnd`). */
function keptDir(prefix: string): string {
  const dir = makeTempDir(prefix);
  removeAtEnd(dir);
  return dir;
}

/** Runs the targets in turns and records files/s for each. */
async function measureInTurns(context: BenchContext, targets: TreeTarget[]): Promise<void> {
  const files = context.settings.treeFiles;
  const measures = Object.fromEntries(
    targets.map((target) => [
      target.row.id,
      async (run: number) => files / (await target.seconds(run)),
    ]),
  );
  const summaries = await repeatInTurns(context.settings.runs, measures);
  for (const target of targets) {
    context.results.add({ ...target.row, summary: summaries[target.row.id]! });
  }
}

/** Returns the target, or records why its tool is missing and returns undefined. */
function ifAvailable(
  context: BenchContext,
  binary: string,
  target: TreeTarget,
): TreeTarget | undefined {
  const missing = toolMissing(context, binary);
  if (missing === undefined) return target;
  context.results.addMissing(target.row, missing);
  return undefined;
}

function gitTarget(context: BenchContext): TreeTarget | undefined {
  return ifAvailable(context, 'git', {
    row: row(context, 'git-add', '`git add -A` in a fresh repository', 'peer'),
    async seconds() {
      const repoDir = keptDir('git');
      await runCommand('git', ['init', '-q', repoDir]);
      const git = ['--git-dir', join(repoDir, '.git'), '--work-tree', context.treeDir];
      return (await runCommand('git', [...git, 'add', '-A'])).seconds;
    },
  });
}

/** Measures the floor of durable small-file writes on this disk with bench/peers/durable-copy.ts. */
function durableCopyTarget(context: BenchContext): TreeTarget {
  const script = join(REPO_ROOT, 'bench', 'peers', 'durable-copy.ts');
  return {
    row: row(
      context,
      'durable-copy',
      'durable copy in Node, each file through a temp file with fsync and rename, 16 in flight',
      'limit',
    ),
    async seconds() {
      const dir = keptDir('durable-copy');
      const env = { ...process.env, UV_THREADPOOL_SIZE: '16' };
      const args = ['--import', 'tsx', script, context.treeDir, join(dir, 'tree')];
      const result = await runCommand(process.execPath, args, { cwd: REPO_ROOT, env });
      return (JSON.parse(result.stdout) as { seconds: number }).seconds;
    },
  };
}

function resticTarget(context: BenchContext): TreeTarget | undefined {
  return ifAvailable(context, 'restic', {
    row: row(context, 'restic-backup', '`restic backup` to a fresh repository', 'peer'),
    async seconds() {
      const dir = keptDir('restic');
      const env = {
        ...process.env,
        RESTIC_PASSWORD: 'bench',
        RESTIC_CACHE_DIR: join(dir, 'cache'),
      };
      const repo = ['--repo', join(dir, 'repo')];
      await runCommand('restic', [...repo, 'init'], { env });
      const backup = ['backup', '--quiet', context.treeDir];
      return (await runCommand('restic', [...repo, ...backup], { env })).seconds;
    },
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
function pushTarget(context: BenchContext, viaServer: boolean): TreeTarget {
  const where = viaServer ? 'through the server (--server)' : 'into the embedded store';
  const id = viaServer ? 'product-push-server' : 'product-push-embedded';
  return {
    row: row(context, id, `artifactstore push ${where}`, 'product'),
    async seconds() {
      const dataDir = keptDir('push');
      const server = viaServer ? await startProductServer(context.runtime, dataDir) : undefined;
      try {
        return (await push(context, dataDir, server)).seconds;
      } finally {
        await server?.stop();
      }
    },
  };
}

/** A store holding the pushed tree, and the server in front of it when pulls go through one. */
interface PullSource {
  dataDir: string;
  packageId: string;
  server?: ProductServer;
}

async function preparePullSource(context: BenchContext, viaServer: boolean): Promise<PullSource> {
  const dataDir = makeTempDir('pull');
  const server = viaServer ? await startProductServer(context.runtime, dataDir) : undefined;
  try {
    return { dataDir, server, packageId: (await push(context, dataDir, server)).packageId };
  } catch (err) {
    await server?.stop();
    throw err;
  }
}

function pullTarget(context: BenchContext, source: PullSource): TreeTarget {
  const viaServer = source.server !== undefined;
  const where = viaServer ? 'through the server (--server)' : 'from the embedded store';
  const id = viaServer ? 'product-pull-server' : 'product-pull-embedded';
  const target = source.server === undefined ? [] : ['--server', source.server.url];
  return {
    row: row(context, id, `artifactstore pull ${where}`, 'product'),
    async seconds() {
      const outDir = keptDir('pull-out');
      const args = ['pull', source.packageId, join(outDir, 'tree'), '--no-progress', ...target];
      return (await runCli(context.runtime, args, source.dataDir)).seconds;
    },
  };
}

async function measurePulls(context: BenchContext): Promise<void> {
  const sources: PullSource[] = [];
  try {
    for (const viaServer of [true, false]) {
      sources.push(await preparePullSource(context, viaServer));
    }
    await measureInTurns(
      context,
      sources.map((source) => pullTarget(context, source)),
    );
  } finally {
    for (const source of sources) {
      await source.server?.stop();
      removeAtEnd(source.dataDir);
    }
  }
}

/**
 * git, restic, the durable floor and the product CLI on the same generated directory of small
 * files. The writers take turns run by run, and so do the two pulls.
 */
export const treeScenario: Scenario = {
  name: 'tree',
  async run(context) {
    const writers = [
      gitTarget(context),
      resticTarget(context),
      durableCopyTarget(context),
      pushTarget(context, true),
      pushTarget(context, false),
    ];
    await measureInTurns(
      context,
      writers.filter((target) => target !== undefined),
    );
    await measurePulls(context);
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
