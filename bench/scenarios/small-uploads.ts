import { createHash } from 'node:crypto';
import { Pool, type request } from 'undici';
import { type BenchContext, type Scenario, toolMissing } from '../lib/context.js';
import { distinctBuffers } from '../lib/fixtures.js';
import { runConcurrent } from '../lib/load.js';
import { createPackage } from '../lib/product-api.js';
import { type ServerOptions, startProductServer } from '../lib/product.js';
import { Results, type Row } from '../lib/results.js';
import { repeat } from '../lib/stats.js';
import { makeTempDir, removeTemp } from '../lib/temp.js';
import { startBareIngest } from '../peers/bare-ingest.js';
import { completeUrl, startBlobUpload, startDistribution } from '../peers/distribution.js';

const SECTION = 'Small uploads (undici Pool, keep-alive)';
const SIZE = 4096;
const CONCURRENCY = [1, 16] as const;

/** Uploads one buffer; `index` is unique within a run. */
type Upload = (pool: Pool, body: Buffer, index: number, run: number) => Promise<void>;

async function expectStatus(response: Awaited<ReturnType<typeof request>>, expected: number) {
  const text = await response.body.text();
  if (response.statusCode !== expected) {
    throw new Error(`upload returned HTTP ${response.statusCode}, expected ${expected}: ${text}`);
  }
}

/** Measures uploads/s of one target at each concurrency and adds a row per concurrency. */
async function measureTarget(
  context: BenchContext,
  target: { id: string; label: string; kind: Row['kind']; url: string },
  prepareRun: (run: number) => Promise<Upload>,
): Promise<void> {
  const count = context.settings.smallUploads;
  for (const concurrency of CONCURRENCY) {
    const pool = new Pool(target.url, {
      connections: concurrency,
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    try {
      const summary = await repeat(context.settings.runs, async (run) => {
        const bodies = distinctBuffers(count, SIZE, `${target.id}-${concurrency}-${run}`);
        const upload = await prepareRun(run);
        const seconds = await runConcurrent(count, concurrency, (index) =>
          upload(pool, bodies[index]!, index, run),
        );
        return count / seconds;
      });
      context.results.add({
        id: `${target.id}-c${concurrency}`,
        section: SECTION,
        label: `${count} × 4 KiB ${target.label}, concurrency ${concurrency}`,
        kind: target.kind,
        unit: 'uploads/s',
        higherIsBetter: true,
        summary,
      });
    } finally {
      await pool.close();
    }
  }
}

/** Measures the product's small uploads; each run goes into a new package. */
export async function measureProductSmall(
  context: BenchContext,
  options: ServerOptions = {},
): Promise<void> {
  const dir = makeTempDir('product-small');
  const server = await startProductServer(context.runtime, dir, options);
  try {
    const target = {
      id: 'product-small',
      label: 'PUT file to artifactstore',
      kind: 'product' as const,
      url: server.url,
    };
    await measureTarget(context, target, async (run) => {
      const packageId = await createPackage(server.url, `small-${run}-${Date.now()}`);
      return async (pool, body, index) => {
        const path = `/v1/packages/${packageId}/files/f${index}.bin`;
        const response = await pool.request({
          method: 'PUT',
          path,
          body,
          headers: { 'content-type': 'application/octet-stream' },
        });
        await expectStatus(response, 201);
      };
    });
  } finally {
    await server.stop();
    removeTemp(dir);
  }
}

async function measureDistributionSmall(context: BenchContext): Promise<void> {
  const dir = makeTempDir('distribution-small');
  const server = await startDistribution(dir);
  try {
    const target = {
      id: 'distribution-small',
      label: 'blob push to distribution (POST + PUT)',
      kind: 'peer' as const,
      url: server.url,
    };
    await measureTarget(context, target, async () => async (pool, body) => {
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
    });
  } finally {
    await server.stop();
    removeTemp(dir);
  }
}

async function measureBareSmall(context: BenchContext): Promise<void> {
  const dir = makeTempDir('bare-small');
  const server = await startBareIngest(dir);
  try {
    const target = {
      id: 'bare-small',
      label: 'PUT to bare node:http + BLAKE3 + fsync',
      kind: 'peer' as const,
      url: server.url,
    };
    await measureTarget(context, target, async () => async (pool, body, index) => {
      const response = await pool.request({ method: 'PUT', path: `/f${index}`, body });
      await expectStatus(response, 201);
    });
  } finally {
    await server.stop();
    removeTemp(dir);
  }
}

/** 4 KiB uploads at concurrency 1 and 16 against the product, distribution and the bare server. */
export const smallUploadsScenario: Scenario = {
  name: 'small-uploads',
  async run(context) {
    await measureBareSmall(context);
    const missing = toolMissing(context, 'docker-registry');
    if (missing === undefined) await measureDistributionSmall(context);
    else {
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
          missing,
        );
      }
    }
    await measureProductSmall(context);
  },
  async profile(context, profileDir) {
    const single = {
      ...context,
      results: new Results(),
      settings: { ...context.settings, runs: 1 },
    };
    await measureProductSmall(single, { nodeFlags: ['--cpu-prof', '--cpu-prof-dir', profileDir] });
  },
};
