import { join } from 'node:path';
import { REPO_ROOT } from '../lib/product.js';
import { spawnTracked, stopProcess, waitForListenUrl } from '../lib/processes.js';

/** A running bare ingest server child. */
export interface BareIngestServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts bench/peers/bare-ingest-server.ts storing under `dir`. */
export async function startBareIngest(dir: string): Promise<BareIngestServer> {
  const script = join(REPO_ROOT, 'bench', 'peers', 'bare-ingest-server.ts');
  const child = spawnTracked(process.execPath, ['--import', 'tsx', script, dir], {
    cwd: REPO_ROOT,
  });
  const url = await waitForListenUrl(child, 'bare ingest server');
  return { url, pid: child.pid!, stop: () => stopProcess(child) };
}
