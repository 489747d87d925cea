import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { freePort, spawnTracked, stopProcess, waitFor } from '../lib/processes.js';

/** A running CNCF distribution registry (Debian's `docker-registry`). */
export interface DistributionServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

function configText(storageDir: string, port: number): string {
  return [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storageDir}`,
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ].join('\n');
}

/** Starts `docker-registry serve CONFIG` with filesystem storage under `dir`. */
export async function startDistribution(dir: string): Promise<DistributionServer> {
  const port = await freePort();
  const config = join(dir, 'config.yml');
  writeFileSync(config, configText(join(dir, 'storage'), port));
  const child = spawnTracked('docker-registry', ['serve', config], { cwd: dir });
  const url = `http://127.0.0.1:${port}`;
  await waitFor('docker-registry to answer GET /v2/', async () => {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}`);
    try {
      const response = await request(`${url}/v2/`);
      await response.body.dump();
      return response.statusCode === 200;
    } catch {
      return false;
    }
  });
  return { url, pid: child.pid!, stop: () => stopProcess(child) };
}

/** Starts a blob upload session and returns the absolute upload URL from `Location`. */
export async function startBlobUpload(
  url: string,
  repository: string,
  dispatcher?: import('undici').Dispatcher,
): Promise<string> {
  const response = await request(`${url}/v2/${repository}/blobs/uploads/`, {
    method: 'POST',
    dispatcher,
  });
  await response.body.dump();
  const location = response.headers.location;
  if (response.statusCode !== 202 || typeof location !== 'string') {
    throw new Error(`blob upload start returned HTTP ${response.statusCode}, expected 202`);
  }
  return new URL(location, url).toString();
}

/** Appends `digest` to an upload URL, for the monolithic PUT that completes the upload. */
export function completeUrl(uploadUrl: string, sha256Hex: string): string {
  const target = new URL(uploadUrl);
  target.searchParams.set('digest', `sha256:${sha256Hex}`);
  return target.toString();
}
