import { createHash } from 'node:crypto';
import { Pool, type request } from 'undici';
import { type BenchContext, type Scenario, toolMissing } from '../lib/context.js';
import { distinctBuffers } from '../lib/fixtures.js';
import { runConcurrent } from '../lib/load.js';
import { createPackage } from '../lib/product-api.js';
import { type ServerOptions, startProductServer } from '../lib/product.js';
import { Results, type Row } from '../lib/results.js';
import { repeatInTurns } from '../lib/stats.js';
import { makeTempDir, removeAtEnd } from '../lib/temp.js';
import { startBareIngest } from '../peers/bare-ingest.js';
import { completeUrl, startBlobUpload, startDistribution } from '../peers/distribution.js';

const SECTION = 'Small uploads (undici Pool, keep-alive)';
const SIZE = 4096;
const CONCURRENCY = [1, 16] as const;

/** Uploads one buffer; `index` is unique within a run. */
type Upload = (pool: Pool, body: Buffer, index: number) => Promise<void>;

/** A running server that takes small uploads. */
interface Target {
  id: string;
  label: string;
  kind: Row['kind'];
  url: string;
  /** Returns the upload function of one run, after any per-run set-up. */
  prepareRun(run: number): Promise<Upload>;
  stop(): Promise<void>;
}

async function expectStatus(response: Awaited<ReturnType<typeof request>>, expected: number) {
  const text = await response.body.text();
  if (response.statusCode !== expected) {
    throw new Error(`upload returned HTTP ${response.statusCode}, expected ${expected}: ${text}`);
  }
}

/**
 * Measures uploads/s of every target at each concurrency, the targets taking turns run by run,
 * and adds a row per target and concurrency.
 */
async function measureTargets(context: BenchContext, targets: Target[]): Promise<void> {
  const count = context.settings.smallUploads;
  for (const concurrency of CONCURRENCY) {
    const pools = targets.map(
      (target) =>
        new Pool(target.url, {
          connections: concurrency,
          headersTimeout: 60_000,
          bodyTimeout: 60_000,
        }),
    );
    try {
      const measures = Object.fromEntries(
        targets.map((target, position) => [
          target.id,
          async (run: number) => {
            const bodies = distinctBuffers(count, SIZE, `${target.id}-${concurrency}-${run}`);
            const upload = await target.prepareRun(run);
            const seconds = await runConcurrent(count, concurrency, (index) =>
              upload(pools[position]!, bodies[index]!, index),
            );
            return count / seconds;
          },
        ]),
      );
      const summaries = await repeatInTurns(context.settings.runs, measures);
      for (const target of targets) {
        context.results.add({
          id: `${target.id}-c${concurrency}`,
          section: SECTION,
          label: `${count} × 4 KiB ${target.label}, concurrency ${concurrency}`,
          kind: target.kind,
          unit: 'uploads/s',
          higherIsBetter: true,
          summary: summaries[target.id]!,
        });
      }
    } finally {
      await Promise.all(pools.map((pool) => pool.close()));
    }
  }
}

/** Starts the product server; each run uploads into a new package. */
async function startProductTarget(
  context: BenchContext,
  options: ServerOptions = {},
): Promise<Target> {
  const dir = makeTempDir('product-small');
  removeAtEnd(dir);
  const server = await startProductServer(context.runtime, dir, options);
  return {
    id: 'product-small',
    label: 'PUT file to artifactstore',
    kind: 'product',
    url: server.url,
    async prepareRun(run) {
      const packageId = await createPackage(server.url, `small-${run}-${Date.now()}`);
      return async (pool, body, index) => {
        const response = await pool.request({
          method: 'PUT',
          path: `/v1/packages/${packageId}/files/f${index}.bin`,
          body,
          headers: { 'content-type': 'application/octet-stream' },
        });
        await expectStatus(response, 201);
      };
    },
    stop: () => server.stop(),
  };
}

async function startDistributionTarget(): Promise<Target> {
  const dir = makeTempDir('distribution-small');
  removeAtEnd(dir);
  const server = await startDistribution(dir);
  const upload: Upload = async (pool, body) => {
    const hex = createHash('sha256').update(body).digest('hex');
    const uploadUrl = new URL(
      completeUrl(await startBlobUpload(server.url, 'bench/small', pool), hex),
    );
    const response = await pool.request({
      method: 'PUT',
      path: `${uploadUrl.pathname}${uploadUrl.search}`,
      body,
      headers: { 'content-type': 'application/octet-stream' },
    });
    await expectStatus(response, 201);
  };
  return {
    id: 'distribution-small',
    label: 'blob push to distribution (POST + PUT)',
    kind: 'peer',
    url: server.url,
    prepareRun: async () => upload,
    stop: () => server.stop(),
  };
}

async function startBareTarget(): Promise<Target> {
  const dir = makeTempDir('bare-small');
  removeAtEnd(dir);
  const server = await startBareIngest(dir);
  return {
    id: 'bare-small',
    label: 'PUT to bare node:http + BLAKE3 + fsync',
    kind: 'peer',
    url: server.url,
    prepareRun: async () => async (pool, body, index) => {
      const response = await pool.request({ method: 'PUT', path: `/f${index}`, body });
      await expectStatus(response, 201);
    },
    stop: () => server.stop(),
  };
}

function addDistributionMissing(context: BenchContext, reason: string): void {
  for (const concurrency of CONCURRENCY) {
    context.results.addMissing(
      {
        id: `distribution-small-c${concurrency}`,
        section: SECTION,
        label: `4 KiB blob push to distribution, concurrency ${concurrency}`,
        kind: 'peer',
        unit: 'uploads/s',
        higherIsBetter: true,
      },
      reason,
    );
  }
}

/** Starts the targets one by one, measures them in turns and stops every one that started. */
async function measureStarted(
  context: BenchContext,
  starters: (() => Promise<Target>)[],
): Promise<void> {
  const targets: Target[] = [];
  try {
    for (const start of starters) targets.push(await start());
    await measureTargets(context, targets);
  } finally {
    await Promise.all(targets.map((target) => target.stop()));
  }
}

/** 4 KiB uploads at concurrency 1 and 16 against the bare server, distribution and the product. */
export const smallUploadsScenario: Scenario = {
  name: 'small-uploads',
  async run(context) {
    const starters = [startBareTarget];
    const missing = toolMissing(context, 'docker-registry');
    if (missing === undefined) starters.push(startDistributionTarget);
    else addDistributionMissing(context, missing);
    starters.push(() => startProductTarget(context));
    await measureStarted(context, starters);
  },
  async profile(context, profileDir) {
    const single = {
      ...context,
      results: new Results(),
      settings: { ...context.settings, runs: 1 },
    };
    const flags = { nodeFlags: ['--cpu-prof', '--cpu-prof-dir', profileDir] };
    await measureStarted(single, [() => startProductTarget(single, flags)]);
  },
};
