import { Pool } from 'undici';
import type { BenchContext, Scenario } from '../lib/context.js';
import { distinctBuffers } from '../lib/fixtures.js';
import { runConcurrent } from '../lib/load.js';
import { createPackage, finalizePackage } from '../lib/product-api.js';
import { type ProductServer, type ServerOptions, startProductServer } from '../lib/product.js';
import { Results } from '../lib/results.js';
import { PeakRssSampler } from '../lib/rss.js';
import { repeat, summarize } from '../lib/stats.js';
import { makeTempDir, removeTemp } from '../lib/temp.js';

const SECTION = 'Finalize';
const FILE_SIZE = 64;
/** Upper bound on the uploads that build one package. */
const UPLOAD_TIMEOUT_MS = 20 * 60_000;

async function fillPackage(server: ProductServer, bodies: Buffer[], label: string) {
  const packageId = await createPackage(server.url, label);
  const pool = new Pool(server.url, {
    connections: 16,
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  });
  try {
    await runConcurrent(
      bodies.length,
      16,
      async (index) => {
        const path = `/v1/packages/${packageId}/files/d${index % 100}/f${index}.bin`;
        const response = await pool.request({ method: 'PUT', path, body: bodies[index] });
        const text = await response.body.text();
        if (response.statusCode !== 201) {
          throw new Error(`upload of ${path} returned HTTP ${response.statusCode}: ${text}`);
        }
      },
      UPLOAD_TIMEOUT_MS,
    );
  } finally {
    await pool.close();
  }
  return packageId;
}

/** Builds packages of `settings.finalizeFiles` files and times their finalize. */
async function measureFinalize(context: BenchContext, options: ServerOptions = {}) {
  const count = context.settings.finalizeFiles;
  const bodies = distinctBuffers(count, FILE_SIZE, 'finalize');
  const dir = makeTempDir('finalize');
  const server = await startProductServer(context.runtime, dir, options);
  const peaks: number[] = [];
  try {
    const seconds = await repeat(context.settings.runs, async (run) => {
      context.log(`  finalize run ${run}: uploading ${count} files`);
      const packageId = await fillPackage(server, bodies, `finalize-${run}`);
      const sampler = new PeakRssSampler(server.pid);
      sampler.start();
      const started = performance.now();
      await finalizePackage(server.url, packageId);
      const elapsed = (performance.now() - started) / 1000;
      peaks.push(sampler.stop());
      return elapsed;
    });
    return { seconds, peakRss: summarize(peaks.slice(1)) };
  } finally {
    await server.stop();
    removeTemp(dir);
  }
}

/** Times `POST /finalize` of a package built over HTTP from many small files. */
export const finalizeScenario: Scenario = {
  name: 'finalize',
  async run(context) {
    const count = context.settings.finalizeFiles.toLocaleString('en-US');
    const { seconds, peakRss } = await measureFinalize(context);
    const base = { section: SECTION, kind: 'product' as const, higherIsBetter: false };
    context.results.add({
      ...base,
      id: 'finalize-time',
      label: `finalize of a ${count}-file package (POST /finalize)`,
      unit: 's',
      summary: seconds,
    });
    context.results.add({
      ...base,
      id: 'finalize-rss',
      label: `server peak RSS during that finalize`,
      unit: 'MB',
      summary: summarize(peakRss.values.map((bytes) => bytes / 1e6)),
    });
  },
  async profile(context, profileDir) {
    const single = {
      ...context,
      results: new Results(),
      settings: { ...context.settings, runs: 1 },
    };
    await measureFinalize(single, { nodeFlags: ['--cpu-prof', '--cpu-prof-dir', profileDir] });
  },
};
