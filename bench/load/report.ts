import type { RequestKind, RequestRecord } from './http-client.js';

/** Latency figures of a group of requests, in ms. */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** An outage of the database during the run, in ms since the workload started. */
export interface OutageWindow {
  stoppedAt: number;
  restartedAt: number;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(fraction * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

/** Summarises latencies of completed requests (any status but 0). */
export function summarise(records: RequestRecord[]): LatencySummary {
  const sorted = records
    .filter((record) => record.status !== 0)
    .map((record) => record.ms)
    .sort((a, b) => a - b);
  return {
    count: records.length,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.at(-1) ?? 0,
  };
}

/** Counts records by a key. */
export function countBy(records: RequestRecord[], key: (record: RequestRecord) => string) {
  const counts: Record<string, number> = {};
  for (const record of records) counts[key(record)] = (counts[key(record)] ?? 0) + 1;
  return counts;
}

/**
 * Splits failed responses (5xx and no response) into those inside an outage window, which are
 * expected, and the rest, which are defects. `graceMs` extends the window after the restart for
 * requests that were already waiting on a connection.
 */
export function classifyFailures(
  records: RequestRecord[],
  outage: OutageWindow | null,
  graceMs: number,
): { duringOutage: RequestRecord[]; unexpected: RequestRecord[] } {
  const failed = records.filter((record) => record.status === 0 || record.status >= 500);
  const inOutage = (record: RequestRecord) =>
    outage !== null &&
    record.startedMs + record.ms >= outage.stoppedAt &&
    record.startedMs <= outage.restartedAt + graceMs;
  return {
    duringOutage: failed.filter(inOutage),
    unexpected: failed.filter((record) => !inOutage(record)),
  };
}

/** First success of a database-backed request after the restart, in ms after the restart. */
export function recoveryMs(records: RequestRecord[], outage: OutageWindow | null): number | null {
  if (outage === null) return null;
  const successes = records
    .filter((record) => record.kind !== 'download' && record.status >= 200 && record.status < 300)
    .filter((record) => record.startedMs >= outage.restartedAt)
    .map((record) => record.startedMs + record.ms);
  return successes.length === 0 ? null : Math.min(...successes) - outage.restartedAt;
}

function pad(text: string | number, width: number): string {
  return String(text).padStart(width);
}

/** Formats the latency table: one row per kind and one for all requests. */
export function latencyTable(records: RequestRecord[]): string {
  const kinds: RequestKind[] = ['create', 'upload', 'finalize', 'download'];
  const rows = [
    `${'kind'.padEnd(10)}${pad('count', 7)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('max ms', 9)}`,
  ];
  const groups: Array<[string, RequestRecord[]]> = [
    ...kinds.map((kind): [string, RequestRecord[]] => [
      kind,
      records.filter((r) => r.kind === kind),
    ]),
    ['all', records],
  ];
  for (const [name, group] of groups) {
    const s = summarise(group);
    rows.push(
      `${name.padEnd(10)}${pad(s.count, 7)}${pad(s.p50.toFixed(1), 9)}${pad(s.p99.toFixed(1), 9)}${pad(s.max.toFixed(1), 9)}`,
    );
  }
  return rows.join('\n');
}
