import { join } from 'node:path';
import { Pool } from 'undici';
import type { BenchContext, Scenario } from '../lib/context.js';
import { seededRandom } from '../lib/fixtures.js';
import { type ProductServer, runCli, startProductServer } from '../lib/product.js';
import { repeat, percentile, summarize } from '../lib/stats.js';
import { writeSyntheticLog } from '../lib/synthetic-log.js';
import { makeTempDir, removeTemp } from '../lib/temp.js';

const SECTION = 'Event log: replay and listing';
const PAGE = 100;

async function measureReplay(context: BenchContext, dataDir: string, events: number) {
  return repeat(context.settings.runs, async () => {
    const result = await runCli(context.runtime, ['replay'], dataDir);
    const replayed = Number(/replayed (\d+) events/.exec(result.stdout + result.stderr)?.[1]);
    if (replayed !== events)
      throw new Error(`replay applied ${replayed} events, expected ${events}`);
    return events / result.seconds;
  });
}

/** Times each request of one listing run; returns latencies in milliseconds, ascending. */
async function timeRequests(count: number, next: () => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const started = performance.now();
    await next();
    latencies.push(performance.now() - started);
  }
  return latencies.sort((a, b) => a - b);
}

async function getJson(pool: Pool, path: string): Promise<Record<string, unknown>> {
  const response = await pool.request({ method: 'GET', path });
  const text = await response.body.text();
  if (response.statusCode !== 200)
    throw new Error(`GET ${path} returned HTTP ${response.statusCode}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Request generators: package pages by cursor, pages filtered by producer, events at random. */
function listingKinds(pool: Pool, events: number, seed: number) {
  const random = seededRandom(seed);
  let cursor: string | undefined;
  return {
    packages: async () => {
      const query = cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page = await getJson(pool, `/v1/packages?limit=${PAGE}${query}`);
      cursor = (page.nextCursor as string | null) ?? undefined;
    },
    filtered: async () => {
      await getJson(
        pool,
        `/v1/packages?producer=producer-${Math.floor(random() * 10)}&limit=${PAGE}`,
      );
    },
    events: async () => {
      await getJson(pool, `/v1/events?after=${Math.floor(random() * events)}&limit=${PAGE}`);
    },
  };
}

const LISTING_LABELS = {
  packages: 'GET /v1/packages pages of 100, walked by cursor',
  filtered: 'GET /v1/packages?producer=… (1 in 10 match), first page of 100',
  events: 'GET /v1/events?after=<random>&limit=100',
} as const;

async function measureListing(context: BenchContext, server: ProductServer, events: number) {
  const pool = new Pool(server.url, {
    connections: 1,
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  });
  const packages = context.settings.listingPackages.toLocaleString('en-US');
  try {
    for (const kind of Object.keys(LISTING_LABELS) as Array<keyof typeof LISTING_LABELS>) {
      const p50: number[] = [];
      const p99: number[] = [];
      await repeat(context.settings.runs, async (run) => {
        const next = listingKinds(pool, events, run + 2)[kind];
        const latencies = await timeRequests(context.settings.listingRequests, next);
        if (run >= 0) p50.push(percentile(latencies, 50));
        if (run >= 0) p99.push(percentile(latencies, 99));
        return 0;
      });
      for (const [name, values] of [
        ['p50', p50],
        ['p99', p99],
      ] as const) {
        context.results.add({
          id: `list-${kind}-${name}`,
          section: SECTION,
          label: `${LISTING_LABELS[kind]} at ${packages} packages, ${name}`,
          kind: 'product',
          unit: 'ms',
          higherIsBetter: false,
          summary: summarize(values),
        });
      }
    }
  } finally {
    await pool.close();
  }
}

/**
 * Replays a synthetic event log of `listingPackages` packages with the CLI, then lists packages
 * and events over HTTP from the rebuilt views.
 */
async function runReplayListing(context: BenchContext, listing: boolean) {
  const dataDir = makeTempDir('replay');
  try {
    const shape = {
      packages: context.settings.listingPackages,
      filesPerPackage: context.settings.replayFilesPerPackage,
    };
    context.log(`  writing a synthetic event log of ${shape.packages} packages`);
    const events = await writeSyntheticLog(context.runtime, dataDir, shape);
    const summary = await measureReplay(context, dataDir, events);
    context.results.add({
      id: 'replay',
      section: SECTION,
      label: `\`artifactstore replay\` of ${events.toLocaleString('en-US')} events on SQLite (CLI wall time)`,
      kind: 'product',
      unit: 'events/s',
      higherIsBetter: true,
      summary,
    });
    if (!listing) return;
    const server = await startProductServer(context.runtime, dataDir);
    try {
      await measureListing(context, server, events);
    } finally {
      await server.stop();
    }
  } finally {
    removeTemp(dataDir);
  }
}

/** Replay speed of the event log and listing latency at many packages. */
export const replayListingScenario: Scenario = {
  name: 'replay-listing',
  run: (context) => runReplayListing(context, true),
  async profile(context, profileDir) {
    const dataDir = makeTempDir('replay-profile');
    try {
      const shape = {
        packages: context.settings.listingPackages,
        filesPerPackage: context.settings.replayFilesPerPackage,
      };
      await writeSyntheticLog(context.runtime, dataDir, shape);
      const flags = ['--cpu-prof', '--cpu-prof-dir', join(profileDir, 'CLI replay')];
      await runCli(context.runtime, ['replay'], dataDir, {}, flags);
    } finally {
      removeTemp(dataDir);
    }
  },
};
