import { join } from 'node:path';
import type { BenchContext, Scenario } from '../lib/context.js';
import { REPO_ROOT } from '../lib/product.js';
import { spawnTracked, stopProcess, waitForListenUrl } from '../lib/processes.js';
import type { Row } from '../lib/results.js';
import { formatSize } from '../lib/settings.js';
import { makeTempDir, removeTemp } from '../lib/temp.js';
import { measureProductTransfers } from './large-transfers.js';

const SECTION = 'S3 backend (s3rver child process)';
const BUCKET = 'artifactstore-bench';

function rows(context: BenchContext): { upload: Row; download: Row } {
  const size = formatSize(context.settings.largeBytes);
  const base = { section: SECTION, kind: 'product' as const, unit: 'MB/s', higherIsBetter: true };
  return {
    upload: { ...base, id: 's3-upload', label: `${size} upload to artifactstore on S3 (PUT file)` },
    download: { ...base, id: 's3-download', label: `${size} download from artifactstore on S3` },
  };
}

async function startS3rver(dir: string) {
  const script = join(REPO_ROOT, 'bench', 'peers', 's3rver-server.ts');
  const child = spawnTracked(process.execPath, ['--import', 'tsx', script, dir, BUCKET], {
    cwd: REPO_ROOT,
  });
  const url = await waitForListenUrl(child, 's3rver');
  return { url, stop: () => stopProcess(child) };
}

/** Picks the line that names the failure from a child's output, skipping runtime warnings. */
function firstErrorLine(message: string): string {
  const lines = message.split('\n').map((line) => line.trim());
  const named = lines.find((line) => /^artifactstore:|Error:/.test(line) && !/Warning/.test(line));
  return (named ?? lines[0] ?? '').slice(0, 300);
}

/**
 * Large upload and download through the product with `ARTIFACTSTORE_STORAGE_BACKEND=s3` against
 * s3rver. When the server does not start with the S3 backend, both rows say why.
 */
export const s3Scenario: Scenario = {
  name: 's3',
  async run(context) {
    const { upload, download } = rows(context);
    const dir = makeTempDir('s3');
    const s3 = await startS3rver(join(dir, 's3rver'));
    const extraEnv = {
      ARTIFACTSTORE_STORAGE_BACKEND: 's3',
      ARTIFACTSTORE_S3_BUCKET: BUCKET,
      ARTIFACTSTORE_S3_ENDPOINT: s3.url,
      ARTIFACTSTORE_S3_ACCESS_KEY_ID: 'S3RVER',
      ARTIFACTSTORE_S3_SECRET_ACCESS_KEY: 'S3RVER',
    };
    try {
      const ids = { upload: upload.id, download: download.id };
      const result = await measureProductTransfers(context, ids, { extraEnv });
      const note = `server peak RSS during the uploads: ${(result.peakRss / 1e6).toFixed(0)} MB`;
      context.results.add({ ...upload, summary: result.upload, note });
      context.results.add({ ...download, summary: result.download });
    } catch (err) {
      const reason = `not available yet: ${firstErrorLine((err as Error).message)}`;
      context.results.addMissing(upload, reason);
      context.results.addMissing(download, reason);
    } finally {
      await s3.stop();
      removeTemp(dir);
    }
  },
};
