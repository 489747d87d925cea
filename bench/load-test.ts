/**
 * Load test of the HTTP service: one or two `artifactstore serve` processes on one store, many
 * concurrent clients creating packages, uploading files of mixed sizes and finalizing, then a
 * verification of everything the servers acknowledged. Not part of the test suite.
 *
 *   node --import tsx bench/load-test.ts --db postgres --processes 2
 *   node --import tsx bench/load-test.ts --db postgres --stop-postgres-at 10 --outage 5
 *
 * Exits 1 when a check fails. Every process it starts is stopped by its pid, also on SIGINT.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULTS } from '../src/config/config.js';
import type { PostgresCluster } from '../test/support/postgres-cluster.js';
import { prepareDatabase } from './load/database.js';
import { Budget, LoadClient, type RequestRecord } from './load/http-client.js';
import { type LoadOptions, parseLoadOptions } from './load/options.js';
import {
  type OutageWindow,
  classifyFailures,
  countBy,
  latencyTable,
  recoveryMs,
  summarise,
} from './load/report.js';
import { type ServerProcess, startServers } from './load/servers.js';
import {
  type CheckResult,
  checkEventLog,
  checkFiles,
  checkManifests,
  checkReplay,
} from './load/verify.js';
import { Workload } from './load/workload.js';

const MIB = 1024 * 1024;

/** Cleanup steps, run in reverse order once, at the end or on SIGINT. */
const cleanups: Array<() => Promise<void>> = [];

async function cleanUp(): Promise<void> {
  while (cleanups.length > 0)
    await cleanups
      .pop()?.()
      .catch((err) => console.error(err));
}

/**
 * Stops the throwaway server `stopAt` seconds into the workload and starts it again after the
 * outage. Returns null when the workload ends first (`signal` aborts) or no outage was requested.
 */
async function runOutage(
  cluster: PostgresCluster | null,
  options: LoadOptions,
  client: LoadClient,
  signal: AbortSignal,
): Promise<OutageWindow | null> {
  if (cluster === null || options.stopPostgresAt === null) return null;
  try {
    await sleep(options.stopPostgresAt * 1000, undefined, { signal });
  } catch {
    return null;
  }
  const stoppedAt = client.now();
  console.log(`outage: stopping PostgreSQL at ${(stoppedAt / 1000).toFixed(1)} s`);
  await cluster.stop();
  await sleep(options.outageSeconds * 1000);
  await cluster.start();
  const restartedAt = client.now();
  console.log(
    `outage: PostgreSQL accepts connections again at ${(restartedAt / 1000).toFixed(1)} s`,
  );
  return { stoppedAt, restartedAt };
}

async function countErrorLines(servers: ServerProcess[]): Promise<number> {
  let count = 0;
  for (const server of servers) {
    const text = await readFile(server.logPath, 'utf8').catch(() => '');
    count += text.split('\n').filter((line) => line.includes('"level":50')).length;
  }
  return count;
}

/**
 * Tells whether a failure inside the outage window is the expected kind: a 503
 * DATABASE_UNAVAILABLE, or an upload whose connection broke because the server sent that 503
 * before it had read the body.
 */
function expectedInOutage(record: RequestRecord): boolean {
  if (record.status === 503) return record.code === 'DATABASE_UNAVAILABLE';
  return (
    record.status === 0 &&
    record.kind === 'upload' &&
    ['EPIPE', 'ECONNRESET', 'UND_ERR_SOCKET'].includes(record.code ?? '')
  );
}

function verdict(name: string, result: CheckResult, detail: string): boolean {
  const ok = result.problems.length === 0;
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
  for (const problem of result.problems.slice(0, 10)) console.log(`       ${problem}`);
  return ok;
}

async function main(): Promise<number> {
  const options = parseLoadOptions(process.argv.slice(2));
  const dir = await mkdtemp(join(tmpdir(), 'artifactstore-load-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));

  const database = await prepareDatabase(options, dir);
  cleanups.push(() => database.drop());
  const env = {
    ARTIFACTSTORE_DATABASE_URL: database.url,
    ARTIFACTSTORE_STORAGE_LOCAL_ROOT: join(dir, 'storage'),
    ARTIFACTSTORE_LOG_LEVEL: 'warn',
  };
  const servers = await startServers(options.processes, env, dir);
  const stopServers = () => Promise.all(servers.map((server) => server.stop())).then(() => {});
  cleanups.push(stopServers);
  console.log(
    `artifactstore load test: ${database.label}, ${servers.length} serve processes (pids ${servers.map((s) => s.pid).join(', ')}), ${options.clients} clients, at most ${options.requests} requests or ${options.durationSeconds} s, files 1 KiB to ${(options.maxFileBytes / MIB).toFixed(1)} MiB`,
  );

  const client = new LoadClient(
    servers.map((server) => server.origin),
    options.clients,
    new Budget(options.requests, options.durationSeconds * 1000),
  );
  const workload = new Workload(client, options.maxFileBytes);
  const workloadDone = new AbortController();
  const outage = runOutage(database.cluster, options, client, workloadDone.signal);
  await Promise.all(Array.from({ length: options.clients }, () => workload.runClient()));
  const elapsedMs = client.now();
  workloadDone.abort();
  const window = await outage;
  await client.close();

  const records = client.records;
  const uploadedBytes = records
    .filter((record) => record.kind === 'upload' && record.status === 201)
    .reduce((sum, record) => sum + record.bytes, 0);
  console.log(
    `\nworkload: ${records.length} requests in ${(elapsedMs / 1000).toFixed(1)} s = ${((records.length * 1000) / elapsedMs).toFixed(1)} requests/s; ${(uploadedBytes / MIB).toFixed(1)} MiB stored by acknowledged uploads = ${(((uploadedBytes / MIB) * 1000) / elapsedMs).toFixed(1)} MiB/s`,
  );
  console.log(`statuses: ${JSON.stringify(countBy(records, (record) => String(record.status)))}`);
  const failures = records.filter((record) => record.code !== null);
  console.log(`error codes: ${JSON.stringify(countBy(failures, (record) => String(record.code)))}`);
  console.log(`\n${latencyTable(records)}\n`);

  // Requests that waited for a connection when the server came back may still fail.
  const graceMs = DEFAULTS.connectTimeoutMs + 1000;
  const { duringOutage, unexpected } = classifyFailures(records, window, graceMs);
  if (window !== null) {
    const codes = JSON.stringify(
      countBy(duringOutage, (record) => `${record.status} ${record.code}`),
    );
    const recovery = recoveryMs(records, window);
    const unavailable = summarise(duringOutage.filter((record) => record.status === 503));
    console.log(
      `outage: down from ${(window.stoppedAt / 1000).toFixed(1)} s to ${(window.restartedAt / 1000).toFixed(1)} s; failures in the window: ${duringOutage.length} ${codes}; 503 latency p50 ${unavailable.p50.toFixed(1)} ms, p99 ${unavailable.p99.toFixed(1)} ms; first success ${recovery === null ? 'never' : `${recovery.toFixed(0)} ms`} after the restart`,
    );
  }

  console.log('checks:');
  const outcome = workload.outcome;
  const results = [
    verdict(
      '5xx and lost connections outside an outage',
      {
        checked: records.length,
        problems: unexpected.map((r) => `${r.kind} on server ${r.server}: ${r.status} ${r.code}`),
      },
      `${unexpected.length}`,
    ),
    verdict(
      'outage failures are 503 DATABASE_UNAVAILABLE, or an upload cut short by one',
      {
        checked: duringOutage.length,
        problems: duringOutage
          .filter((r) => !expectedInOutage(r))
          .map((r) => `${r.kind}: ${r.status} ${r.code}`),
      },
      `${duringOutage.length} failures in the window`,
    ),
  ];
  const events = await checkEventLog(servers[0]!.origin);
  results.push(verdict('event log gapless', events, `${events.checked} events`));
  const files = await checkFiles(client.origins, outcome.acked);
  results.push(verdict('acknowledged files download and hash', files, `${files.checked} files`));
  const manifests = await checkManifests(servers[0]!.origin, outcome.acked, outcome.finalized);
  results.push(
    verdict(
      'manifests list every acknowledged file',
      manifests,
      `${manifests.checked} finalized packages; ${manifests.unacknowledged} listed files whose upload got no acknowledgement`,
    ),
  );
  results.push(
    verdict(
      'upload and download digests',
      {
        checked: outcome.acked.length,
        problems: [
          ...(outcome.digestMismatches > 0
            ? [`${outcome.digestMismatches} uploads returned another digest`]
            : []),
          ...(outcome.corruptDownloads > 0
            ? [`${outcome.corruptDownloads} downloads had wrong bytes`]
            : []),
        ],
      },
      'digests returned by uploads and bytes of downloads under load',
    ),
  );

  const errorLines = await countErrorLines(servers);
  await stopServers();
  const replay = await checkReplay(env);
  results.push(verdict('replay rebuilds identical views', replay, `${replay.checked} dumped rows`));
  console.log(`server log lines at level error: ${errorLines}`);

  if (options.jsonPath !== null) {
    const summary = { options, database: database.label, elapsedMs, records, outage: window };
    await writeFile(options.jsonPath, JSON.stringify(summary, null, 2));
  }
  return results.every(Boolean) ? 0 : 1;
}

process.once('SIGINT', () => {
  console.error('interrupted: stopping servers and removing temporary data');
  void cleanUp().then(() => process.exit(130));
});

let status = 1;
try {
  status = await main();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
} finally {
  await cleanUp();
}
process.exit(status);
