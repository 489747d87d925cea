import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BenchContext,
  megabytesPerSecond,
  type Scenario,
  toolMissing,
} from '../lib/context.js';
import { runCommand } from '../lib/processes.js';
import { formatSize } from '../lib/settings.js';
import { repeat } from '../lib/stats.js';
import { makeTempDir, removeTemp } from '../lib/temp.js';

const SECTION = 'Physical limits';

async function measureDisk(context: BenchContext): Promise<void> {
  const bytes = context.settings.largeBytes;
  const dir = makeTempDir('disk');
  const target = join(dir, 'dd.out');
  const count = String(bytes / (8 * 1024 * 1024));
  const summary = await repeat(context.settings.runs, async () => {
    rmSync(target, { force: true });
    const result = await runCommand('dd', [
      'if=/dev/zero',
      `of=${target}`,
      'bs=8M',
      `count=${count}`,
      'conv=fsync',
    ]);
    return megabytesPerSecond(bytes, result.seconds);
  });
  removeTemp(dir);
  context.results.add({
    id: 'disk-write',
    section: SECTION,
    label: `disk: ${formatSize(bytes)} written with dd conv=fsync`,
    kind: 'limit',
    unit: 'MB/s',
    higherIsBetter: true,
    summary,
  });
}

async function measureHashing(context: BenchContext): Promise<void> {
  const row = {
    id: 'b3sum',
    section: SECTION,
    label: `hashing: b3sum --no-mmap on ${formatSize(context.settings.largeBytes)} (page cache)`,
    kind: 'limit' as const,
    unit: 'MB/s',
    higherIsBetter: true,
  };
  const missing = toolMissing(context, 'b3sum');
  if (missing !== undefined) return context.results.addMissing(row, missing);
  const summary = await repeat(context.settings.runs, async () => {
    const result = await runCommand('b3sum', ['--no-mmap', context.largeFile]);
    return megabytesPerSecond(context.settings.largeBytes, result.seconds);
  });
  context.results.add({ ...row, summary });
}

/** Disk write speed with fsync and BLAKE3 hashing speed: the ceilings of any ingest path. */
export const limitsScenario: Scenario = {
  name: 'limits',
  async run(context) {
    await measureDisk(context);
    await measureHashing(context);
  },
};
