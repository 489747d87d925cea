import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchContext, megabytesPerSecond, type Scenario } from '../lib/context.js';
import { curlUpload } from '../lib/curl.js';
import { stampFile } from '../lib/fixtures.js';
import { createPackage } from '../lib/product-api.js';
import { type ProductServer, startProductServer } from '../lib/product.js';
import { PeakRssSampler, readMemory } from '../lib/rss.js';
import { formatSize } from '../lib/settings.js';
import { repeat, summarize } from '../lib/stats.js';
import { makeTempDir, removeTemp } from '../lib/temp.js';

const SECTION = 'Memory';

/** Writes `copies` concatenated copies of `source` to `target`, 64 MiB at a time. */
function concatenate(source: string, target: string, copies: number): void {
  const out = openSync(target, 'w');
  const chunk = Buffer.alloc(64 * 1024 * 1024);
  try {
    for (let copy = 0; copy < copies; copy += 1) {
      const input = openSync(source, 'r');
      for (;;) {
        const read = readSync(input, chunk, 0, chunk.length, null);
        if (read === 0) break;
        writeSync(out, chunk, 0, read);
      }
      closeSync(input);
    }
  } finally {
    closeSync(out);
  }
}

/** Uploads a stamped file and returns the server's peak RSS in bytes and the speed in MB/s. */
async function uploadWithPeak(server: ProductServer, file: string, bytes: number, label: string) {
  const packageId = await createPackage(server.url, label);
  stampFile(file, label);
  const sampler = new PeakRssSampler(server.pid);
  sampler.start();
  const transfer = await curlUpload(`${server.url}/v1/packages/${packageId}/files/big.bin`, file, {
    expected: [201],
  });
  return { peak: sampler.stop(), mbps: megabytesPerSecond(bytes, transfer.seconds) };
}

async function measureSize(
  context: BenchContext,
  server: ProductServer,
  file: string,
  bytes: number,
) {
  const speeds: number[] = [];
  const peaks = await repeat(context.settings.runs, async (run) => {
    const result = await uploadWithPeak(server, file, bytes, `memory-${bytes}-${run}`);
    if (run >= 0) speeds.push(result.mbps);
    return result.peak / 1e6;
  });
  context.results.add({
    id: `rss-${formatSize(bytes).replace(' ', '').toLowerCase()}`,
    section: SECTION,
    label: `server peak RSS during a ${formatSize(bytes)} upload (VmHWM reset before each upload)`,
    kind: 'product',
    unit: 'MB',
    higherIsBetter: false,
    summary: peaks,
    note: `upload speed ${summarize(speeds).median.toFixed(0)} MB/s`,
  });
}

/** Peak RSS of one server process while it ingests the large file and a file four times its size. */
export const memoryScenario: Scenario = {
  name: 'memory',
  async run(context) {
    const { largeBytes, hugeBytes } = context.settings;
    const hugeDir = makeTempDir('huge');
    const hugeFile = join(hugeDir, 'huge.bin');
    concatenate(context.largeFile, hugeFile, hugeBytes / largeBytes);
    const dataDir = makeTempDir('memory');
    const server = await startProductServer(context.runtime, dataDir);
    try {
      context.results.add({
        id: 'rss-idle',
        section: SECTION,
        label: 'server RSS after start, before any request',
        kind: 'product',
        unit: 'MB',
        higherIsBetter: false,
        summary: summarize([(readMemory(server.pid).vmRssKiB * 1024) / 1e6]),
      });
      await measureSize(context, server, context.largeFile, largeBytes);
      await measureSize(context, server, hugeFile, hugeBytes);
    } finally {
      await server.stop();
      removeTemp(dataDir);
      removeTemp(hugeDir);
    }
  },
};
