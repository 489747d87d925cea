import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'undici';
import { loadConfig } from '../../src/config/config.js';
import { openDatabase } from '../../src/db/connection.js';
import { ContentHasher } from '../../src/identity/hasher.js';
import { dumpTables } from '../../test/support/dump-views.js';
import { encodePath } from './http-client.js';
import { REPOSITORY_ROOT } from './servers.js';
import type { AckedFile } from './workload.js';

/** Concurrent downloads while verifying. */
const VERIFY_CONCURRENCY = 16;

/** Problems found by one check, with the number of items it looked at. */
export interface CheckResult {
  checked: number;
  problems: string[];
}

async function getJson(agent: Agent, url: string): Promise<Record<string, unknown>> {
  const response = await request(url, {
    dispatcher: agent,
    headers: { accept: 'application/json' },
  });
  const text = await response.body.text();
  if (response.statusCode !== 200)
    throw new Error(`GET ${url} failed with status ${response.statusCode}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Reads the whole event log through GET /v1/events and checks that seq runs 1..n without gaps. */
export async function checkEventLog(origin: string): Promise<CheckResult> {
  const agent = new Agent();
  const problems: string[] = [];
  let after = 0;
  try {
    for (;;) {
      const page = await getJson(agent, `${origin}/v1/events?after=${after}&limit=1000`);
      const items = page.items as Array<{ seq: number }>;
      if (items.length === 0) break;
      for (const event of items) {
        if (event.seq !== after + 1)
          problems.push(`event ${after + 1} missing, next is ${event.seq}`);
        after = event.seq;
      }
    }
  } finally {
    await agent.close();
  }
  return { checked: after, problems };
}

async function checkFile(agent: Agent, origin: string, file: AckedFile): Promise<string | null> {
  const url = `${origin}/v1/packages/${file.packageId}/files/${encodePath(file.path)}`;
  const response = await request(url, { dispatcher: agent });
  if (response.statusCode !== 200) {
    await response.body.dump();
    return `${file.packageId} ${file.path}: GET failed with status ${response.statusCode}`;
  }
  const hasher = new ContentHasher();
  for await (const chunk of response.body) hasher.update(chunk as Buffer);
  if (hasher.digest() !== file.digest || hasher.size !== file.size) {
    return `${file.packageId} ${file.path}: got ${hasher.digest()} (${hasher.size} bytes), acknowledged ${file.digest} (${file.size} bytes)`;
  }
  return null;
}

/** Downloads every acknowledged file, spread over the servers, and hashes it. */
export async function checkFiles(origins: string[], files: AckedFile[]): Promise<CheckResult> {
  const agent = new Agent({ connections: VERIFY_CONCURRENCY });
  const problems: string[] = [];
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < files.length; index = next++) {
      const problem = await checkFile(agent, origins[index % origins.length]!, files[index]!);
      if (problem !== null) problems.push(problem);
    }
  };
  try {
    await Promise.all(Array.from({ length: VERIFY_CONCURRENCY }, worker));
  } finally {
    await agent.close();
  }
  return { checked: files.length, problems };
}

/**
 * Checks each acknowledged finalize: every acknowledged upload into the package is in its
 * manifest with the same digest. Files in a manifest whose upload was not acknowledged are
 * counted in `unacknowledged`: a request that failed after its commit (an outage) leaves them.
 */
export async function checkManifests(
  origin: string,
  files: AckedFile[],
  finalized: Set<string>,
): Promise<CheckResult & { unacknowledged: number }> {
  const agent = new Agent();
  const problems: string[] = [];
  let unacknowledged = 0;
  try {
    for (const packageId of finalized) {
      const manifest = await getJson(agent, `${origin}/v1/packages/${packageId}/manifest`);
      const entries = manifest.files as Array<{ path: string; digest: string }>;
      const listed = new Map(entries.map((entry) => [entry.path, entry.digest]));
      const acked = files.filter((file) => file.packageId === packageId);
      for (const file of acked) {
        if (listed.get(file.path) !== file.digest) {
          problems.push(`${packageId} ${file.path}: acknowledged but not in the manifest`);
        }
      }
      unacknowledged += entries.length - acked.length;
    }
  } finally {
    await agent.close();
  }
  return { checked: finalized.size, problems, unacknowledged };
}

async function runCli(args: string[], env: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: REPOSITORY_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`artifactstore ${args.join(' ')} exited with ${code}`);
}

/**
 * Dumps the views and the event log, runs `artifactstore replay`, and dumps again. Run it once
 * the servers have stopped, so that nothing writes in between.
 */
export async function checkReplay(env: Record<string, string>): Promise<CheckResult> {
  const store = openDatabase(loadConfig(env));
  try {
    const before = await dumpTables(store.db, true);
    await runCli(['replay'], env);
    const after = await dumpTables(store.db, true);
    const problems = before === after ? [] : ['views after replay differ from the views before'];
    return { checked: before.split('\n').length, problems };
  } finally {
    await store.close();
  }
}
