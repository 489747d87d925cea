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
import { repeat, type Summary } from '../lib/stats.js';
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

async function measureBare(context: BenchContext): Promise<void> {
  const dir = makeTempDir('bare');
  const server = await startBareIngest(dir);
  try {
    const summary = await repeat(context.settings.runs, async (run) => {
      stampFile(context.largeFile, `bare-${run}`);
      const transfer = await curlUpload(`${server.url}/big.bin`, context.largeFile);
      await rm(join(dir, 'objects'), { recursive: true, force: true });
      await mkdir(join(dir, 'objects'));
      return megabytesPerSecond(transfer.bytes, transfer.seconds);
    });
    context.results.add({
      ...row(context, 'bare-put', 'PUT to bare node:http + BLAKE3 + fsync', 'peer'),
      summary,
    });
  } finally {
    await server.stop();
    removeTemp(dir);
  }
}

async function distributionPush(url: string, file: string, run: number): Promise<number> {
  stampFile(file, `distribution-${run}`);
  const hex = await sha256File(file);
  const started = performance.now();
  const uploadUrl = await startBlobUpload(url, 'bench/big');
  const postSeconds = (performance.now() - started) / 1000;
  const transfer = await curlUpload(completeUrl(uploadUrl, hex), file, { expected: [201] });
  return postSeconds + transfer.seconds;
}

async function measureDistribution(context: BenchContext): Promise<void> {
  const push = row(context, 'distribution-push', 'blob push to distribution (POST + PUT)', 'peer');
  const pull = row(context, 'distribution-pull', 'blob pull from distribution (GET)', 'peer');
  const missing = toolMissing(context, 'docker-registry');
  if (missing !== undefined) {
    context.results.addMissing(push, missing);
    return context.results.addMissing(pull, missing);
  }
  const dir = makeTempDir('distribution');
  const server = await startDistribution(dir);
  try {
    const bytes = context.settings.largeBytes;
    const pushSummary = await repeat(context.settings.runs, async (run) =>
      megabytesPerSecond(bytes, await distributionPush(server.url, context.largeFile, run)),
    );
    context.results.add({ ...push, summary: pushSummary });
    const hex = await sha256File(context.largeFile);
    const pullSummary = await repeat(context.settings.runs, async () => {
      const transfer = await curlDownload(`${server.url}/v2/bench/big/blobs/sha256:${hex}`);
      return megabytesPerSecond(transfer.bytes, transfer.seconds);
    });
    context.results.add({ ...pull, summary: pullSummary });
  } finally {
    await server.stop();
    removeTemp(dir);
  }
}

async function measureNginx(context: BenchContext): Promise<void> {
  const get = row(context, 'nginx-get', 'GET from nginx (sendfile)', 'peer');
  const missing = toolMissing(context, 'nginx');
  if (missing !== undefined) return context.results.addMissing(get, missing);
  const prefix = makeTempDir('nginx');
  const server = await startNginx(prefix, dirname(context.largeFile));
  try {
    const summary = await repeat(context.settings.runs, async () => {
      const transfer = await curlDownload(`${server.url}/${basename(context.largeFile)}`);
      return megabytesPerSecond(transfer.bytes, transfer.seconds);
    });
    context.results.add({ ...get, summary });
  } finally {
    await server.stop();
    removeTemp(prefix);
  }
}

/** Uploads the stamped large file into a new package; returns MB/s and the file URL. */
async function productUpload(server: ProductServer, file: string, label: string) {
  const packageId = await createPackage(server.url, label);
  const fileUrl = `${server.url}/v1/packages/${packageId}/files/big.bin`;
  stampFile(file, label);
  const transfer = await curlUpload(fileUrl, file, { expected: [201] });
  return { mbps: megabytesPerSecond(transfer.bytes, transfer.seconds), fileUrl };
}

/** Measures product upload and download; returns the peak server RSS during the uploads. */
export async function measureProductTransfers(
  context: BenchContext,
  ids: { upload: string; download: string },
  options: ServerOptions = {},
): Promise<{ upload: Summary; download: Summary; peakRss: number }> {
  const dir = makeTempDir('product-large');
  const server = await startProductServer(context.runtime, dir, options);
  try {
    const sampler = new PeakRssSampler(server.pid);
    sampler.start();
    let lastUrl = '';
    const upload = await repeat(context.settings.runs, async (run) => {
      const result = await productUpload(server, context.largeFile, `${ids.upload}-${run}`);
      lastUrl = result.fileUrl;
      return result.mbps;
    });
    const peakRss = sampler.stop();
    const download = await repeat(context.settings.runs, async () => {
      const transfer = await curlDownload(lastUrl);
      return megabytesPerSecond(transfer.bytes, transfer.seconds);
    });
    return { upload, download, peakRss };
  } finally {
    await server.stop();
    removeTemp(dir);
  }
}

async function measureProduct(context: BenchContext): Promise<void> {
  const ids = { upload: 'product-upload', download: 'product-download' };
  const { upload, download, peakRss } = await measureProductTransfers(context, ids);
  const note = `server peak RSS during the uploads: ${(peakRss / 1e6).toFixed(0)} MB`;
  context.results.add({
    ...row(context, ids.upload, 'upload to artifactstore (PUT file)', 'product'),
    summary: upload,
    note,
  });
  context.results.add({
    ...row(context, ids.download, 'download from artifactstore (GET file)', 'product'),
    summary: download,
  });
}

/**
 * One large file through curl against the bare node:http ceiling, distribution, nginx and the
 * product. Every upload run stamps the file first, so no content-addressed target can skip it.
 */
export const largeTransfersScenario: Scenario = {
  name: 'large-transfers',
  async run(context) {
    await measureBare(context);
    await measureDistribution(context);
    await measureNginx(context);
    await measureProduct(context);
  },
  async profile(context, profileDir) {
    const ids = { upload: 'profile-upload', download: 'profile-download' };
    const flags = ['--cpu-prof', '--cpu-prof-dir', profileDir];
    const runs = { ...context, settings: { ...context.settings, runs: 1 } };
    await measureProductTransfers(runs, ids, { nodeFlags: flags });
  },
};
