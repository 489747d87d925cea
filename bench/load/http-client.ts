import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';

/** Operations the workload times separately. */
export type RequestKind = 'create' | 'upload' | 'finalize' | 'download';

/** One workload request and its outcome. */
export interface RequestRecord {
  kind: RequestKind;
  /** Index of the server that handled it. */
  server: number;
  /** HTTP status, or 0 when no response arrived (connection refused or reset). */
  status: number;
  /** The `code` of a problem+json body, or the network error code. */
  code: string | null;
  /** Start time, in ms since the workload started. */
  startedMs: number;
  /** Latency until the whole response body was read, in ms. */
  ms: number;
  /** Request body bytes sent. */
  bytes: number;
}

/** A response with its body: parsed JSON, raw bytes for downloads. */
export interface CallResult {
  status: number;
  json: Record<string, unknown> | null;
  body: Buffer;
}

/** Caps the workload in requests and time. */
export class Budget {
  #left: number;
  readonly #deadline: number;

  constructor(requests: number, durationMs: number) {
    this.#left = requests;
    this.#deadline = Date.now() + durationMs;
  }

  /** Tells whether requests may still be sent. */
  get open(): boolean {
    return this.#left > 0 && Date.now() < this.#deadline;
  }

  /** Takes one request from the budget; false once it is spent or time is up. */
  take(): boolean {
    if (!this.open) return false;
    this.#left -= 1;
    return true;
  }
}

/** Sends workload requests to the servers round the budget and records every outcome. */
export class LoadClient {
  readonly origins: string[];
  readonly records: RequestRecord[] = [];
  readonly #agent: Agent;
  readonly #budget: Budget;
  readonly #startedAt = performance.now();

  constructor(origins: string[], connections: number, budget: Budget) {
    this.origins = origins;
    this.#agent = new Agent({ connections, keepAliveTimeout: 10_000 });
    this.#budget = budget;
  }

  get budget(): Budget {
    return this.#budget;
  }

  /** Milliseconds since the workload started. */
  now(): number {
    return performance.now() - this.#startedAt;
  }

  /** Picks a server at random. */
  anyServer(): number {
    return Math.floor(Math.random() * this.origins.length);
  }

  /**
   * Sends one request if the budget allows (null otherwise) and records its outcome. Network
   * errors are recorded with status 0 rather than thrown.
   */
  async call(
    kind: RequestKind,
    server: number,
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    options: { body?: Buffer | string; headers?: Record<string, string> } = {},
  ): Promise<CallResult | null> {
    if (!this.#budget.take()) return null;
    const startedMs = this.now();
    const bytes = options.body === undefined ? 0 : Buffer.byteLength(options.body);
    const record: RequestRecord = { kind, server, status: 0, code: null, startedMs, ms: 0, bytes };
    this.records.push(record);
    try {
      const response = await request(`${this.origins[server]}${path}`, {
        method,
        body: options.body,
        headers: { 'x-actor': 'load-test', ...options.headers },
        dispatcher: this.#agent,
      });
      const body = Buffer.from(await response.body.arrayBuffer());
      record.ms = this.now() - startedMs;
      record.status = response.statusCode;
      const json = parseJson(response.headers['content-type'], body);
      if (response.statusCode >= 400) record.code = String(json?.code ?? 'NO_CODE');
      if (response.statusCode === 503) await backOff();
      return { status: response.statusCode, json, body };
    } catch (err) {
      record.ms = this.now() - startedMs;
      record.code = (err as { code?: string }).code ?? 'NETWORK_ERROR';
      await backOff();
      return { status: 0, json: null, body: Buffer.alloc(0) };
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

/**
 * Waits 250 to 500 ms after a 503 or a lost connection, as a well-behaved client would, so that
 * an outage does not spend the whole request budget within a second.
 */
function backOff(): Promise<void> {
  return sleep(250 + Math.random() * 250);
}

function parseJson(contentType: unknown, body: Buffer): Record<string, unknown> | null {
  if (typeof contentType !== 'string' || !contentType.includes('json')) return null;
  try {
    return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Percent-encodes each segment of a relative path for a URL. */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
