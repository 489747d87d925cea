import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  type BenchContext,
  megabytesPerSecond,
  type Scenario,
  toolMissing,
} from '../lib/context.js';
import { curlDownload, curlUpload } from '../lib/curl.js';
import { stampFile } from '../lib/fixtures.js';
import { createPackage } from '../lib/product-api.js';
import { type ProductServer, type ServerOptions, startProductServer } from '../lib/product.js';
import type { Row } from '../lib/results.js';
import { PeakRssSampler } from '../lib/rss.js';
import { formatSize } from '../lib/settings.js';
import { repeatInTurns, type Summary } from '../lib/stats.js';
import { makeTempDir, removeTemp } from '../lib/temp.js';
import { startBareIngest } from '../peers/bare-ingest.js';
import { completeUrl, startBlobUpload, startDistribution } from '../peers/distribution.js';
import { startNginx } from '../peers/nginx.js';

const SECTION = 'Large transfers (curl, one stream)';

function row(context: BenchContext, id: string, label: string, kind: Row['kind']): Row {
  return {
    id,
    section: SECTION,
    label: `${formatSize(context.settings.largeBytes)} ${label}`,
    kind,
    unit: 'MB/s',
    higherIsBetter: true,
  };
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path, { highWaterMark: 8 * 1024 * 1024 })
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** A running target of the large transfers and the runs it takes part in, each returning MB/s. */
interface TransferTarget {
  upload?: (run: number) => Promise<number>;
  download?: (run: number) => Promise<number>;
  stop(): Promise<void>;
}

async function startBareTarget(context: BenchContext): Promise<TransferTarget> {
  const dir = makeTempDir('bare');
  const server = await startBareIngest(dir);
  return {
    async upload(run) {
      stampFile(context.largeFile, `bare-${run}`);
      const transfer = await curlUpload(`${server.url}/big.bin`, context.largeFile);
      await rm(join(dir, 'objects'), { recursive: true, force: true });
      await mkdir(join(dir, 'objects'));
      return megabytesPerSecond(transfer.bytes, transfer.seconds);
    },
    async stop() {
      await server.stop();
      removeTemp(dir);
    },
  };
}

/** Pushes the stamped file as a blob; returns the time of POST and PUT and the digest. */
async function distributionPush(url: string, file: string, run: number) {
  stampFile(file, `distribution-${run}`);
  const hex = await sha256File(file);
  const started = performance.now();
  const uploadUrl = await startBlobUpload(url, 'bench/big');
  const postSeconds = (performance.now() - started) / 1000;
  const transfer = await curlUpload(completeUrl(uploadUrl, hex), file, { expected: [201] });
  return { seconds: postSeconds + transfer.seconds, hex };
}

async function startDistributionTarget(context: BenchContext): Promise<TransferTarget> {
  const dir = makeTempDir('distribution');
  const server = await startDistribution(dir);
  let lastHex = '';
  return {
    async upload(run) {
      const pushed = await distributionPush(server.url, context.largeFile, run);
      lastHex = pushed.hex;
      return megabytesPerSecond(context.settings.largeBytes, pushed.seconds);
    },
    async download() {
      const transfer = await curlDownload(`${server.url}/v2/bench/big/blobs/sha256:${lastHex}`);
      return megabytesPerSecond(transfer.bytes, transfer.seconds);
    },
    async stop() {
      await server.stop();
      removeTemp(dir);
    },
  };
}

async function startNginxTarget(context: BenchContext): Promise<TransferTarget> {
  const prefix = makeTempDir('nginx');
  const server = await startNginx(prefix, dirname(context.largeFile));
  return {
    async download() {
      const transfer = await curlDownload(`${server.url}/${basename(context.largeFile)}`);
      return megabytesPerSecond(transfer.bytes, transfer.seconds);
    },
    async stop() {
      await server.stop();
      removeTemp(prefix);
    },
  };
}

/** Uploads the stamped large file into a new package; returns MB/s and the file URL. */
async function productUpload(server: ProductServer, file: string, label: string) {
  const packageId = await createPackage(server.url, label);
  const fileUrl = `${server.url}/v1/packages/${packageId}/files/big.bin`;
  stampFile(file, label);
  const transfer = await curlUpload(fileUrl, file, { expected: [201] });
  return { mbps: megabytesPerSecond(transfer.bytes, transfer.seconds), fileUrl };
}

/** Starts the product server as a target. `peakRss` reads the RSS sampler started with it. */
async function startProductTarget(
  context: BenchContext,
  label: string,
  options: ServerOptions = {},
): Promise<TransferTarget & { peakRss(): number }> {
  const dir = makeTempDir('product-large');
  const server = await startProductServer(context.runtime, dir, options);
  const sampler = new PeakRssSampler(server.pid);
  sampler.start();
  let lastUrl = '';
  let peakRss = 0;
  return {
    async upload(run) {
      const result = await productUpload(server, context.largeFile, `${label}-${run}`);
      lastUrl = result.fileUrl;
      return result.mbps;
    },
    async download() {
      const transfer = await curlDownload(lastUrl);
      return megabytesPerSecond(transfer.bytes, transfer.seconds);
    },
    /** Stops the sampler at the first call, so later downloads do not count. */
    peakRss() {
      if (peakRss === 0) peakRss = sampler.stop();
      return peakRss;
    },
    async stop() {
      if (peakRss === 0) peakRss = sampler.stop();
      await server.stop();
      removeTemp(dir);
    },
  };
}

/**
 * Measures the product's uploads, then its downloads of the last upload; returns the peak
 * server RSS during the uploads.
 */
export async function measureProductTransfers(
  context: BenchContext,
  ids: { upload: string; download: string },
  options: ServerOptions = {},
): Promise<{ upload: Summary; download: Summary; peakRss: number }> {
  const product = await startProductTarget(context, ids.upload, options);
  try {
    const { upload } = await repeatInTurns(context.settings.runs, { upload: product.upload! });
    const peakRss = product.peakRss();
    const { download } = await repeatInTurns(context.settings.runs, {
      download: product.download!,
    });
    return { upload, download, peakRss };
  } finally {
    await product.stop();
  }
}

/** Starts the targets whose tools are present; records the peer rows of those that are not. */
async function startTargets(context: BenchContext) {
  const targets: Record<string, TransferTarget> = {};
  const distributionMissing = toolMissing(context, 'docker-registry');
  const nginxMissing = toolMissing(context, 'nginx');
  try {
    targets.bare = await startBareTarget(context);
    if (distributionMissing === undefined) {
      targets.distribution = await startDistributionTarget(context);
    }
    if (nginxMissing === undefined) targets.nginx = await startNginxTarget(context);
    const product = await startProductTarget(context, 'product-upload');
    targets.product = product;
    return { targets, product, distributionMissing, nginxMissing };
  } catch (err) {
    await Promise.all(Object.values(targets).map((target) => target.stop()));
    throw err;
  }
}

/** Runs the `kind` runs of every target that has them, in turns. */
function measureKind(
  context: BenchContext,
  targets: Record<string, TransferTarget>,
  kind: 'upload' | 'download',
): Promise<Record<string, Summary>> {
  const measures: Record<string, (run: number) => Promise<number>> = {};
  for (const [name, target] of Object.entries(targets)) {
    const measure = target[kind];
    if (measure !== undefined) measures[name] = measure;
  }
  return repeatInTurns(context.settings.runs, measures);
}

/**
 * One large file through curl against the bare node:http ceiling, distribution, nginx and the
 * product. The uploads take turns run by run, and so do the downloads. Every upload run stamps
 * the file first, so no content-addressed target can skip it.
 */
export const largeTransfersScenario: Scenario = {
  name: 'large-transfers',
  async run(context) {
    const { targets, product, distributionMissing, nginxMissing } = await startTargets(context);
    try {
      const uploads = await measureKind(context, targets, 'upload');
      const peakRss = product.peakRss();
      const downloads = await measureKind(context, targets, 'download');
      const results = context.results;
      const bare = row(context, 'bare-put', 'PUT to bare node:http + BLAKE3 + fsync', 'peer');
      results.add({ ...bare, summary: uploads.bare! });
      const push = row(
        context,
        'distribution-push',
        'blob push to distribution (POST + PUT)',
        'peer',
      );
      const pull = row(context, 'distribution-pull', 'blob pull from distribution (GET)', 'peer');
      if (distributionMissing === undefined) {
        results.add({ ...push, summary: uploads.distribution! });
        results.add({ ...pull, summary: downloads.distribution! });
      } else {
        results.addMissing(push, distributionMissing);
        results.addMissing(pull, distributionMissing);
      }
      const get = row(context, 'nginx-get', 'GET from nginx (sendfile)', 'peer');
      if (nginxMissing === undefined) results.add({ ...get, summary: downloads.nginx! });
      else results.addMissing(get, nginxMissing);
      results.add({
        ...row(context, 'product-upload', 'upload to artifactstore (PUT file)', 'product'),
        summary: uploads.product!,
        note: `server peak RSS during the uploads: ${(peakRss / 1e6).toFixed(0)} MB`,
      });
      results.add({
        ...row(context, 'product-download', 'download from artifactstore (GET file)', 'product'),
        summary: downloads.product!,
      });
    } finally {
      await Promise.all(Object.values(targets).map((target) => target.stop()));
    }
  },
  async profile(context, profileDir) {
    const ids = { upload: 'profile-upload', download: 'profile-download' };
    const flags = ['--cpu-prof', '--cpu-prof-dir', profileDir];
    const runs = { ...context, settings: { ...context.settings, runs: 1 } };
    await measureProductTransfers(runs, ids, { nodeFlags: flags });
  },
};
