import { Agent, type Dispatcher, request } from 'undici';
import { StoreError } from '../errors/store-error.js';
import { type Digest, isDigest, parseDigest } from '../identity/digest.js';
import { digestOf } from '../identity/hasher.js';
import type {
  FileRecord,
  FinalizeResult,
  HealthStatus,
  ListPackagesQuery,
  PackageRecord,
  Page,
} from '../registry/records.js';
import type { ManifestFormat } from '../registry/registry-api.js';
import { errorFromResponse, wrapNetworkError } from './http-errors.js';
import { validateFileAddress, validatePackageId } from './request-arguments.js';
import type { FileDownload, FileUpload, NewPackage, StoreClient } from './store-client.js';

/** Settings of an `HttpClient`. */
export interface HttpClientOptions {
  /** Base URL of the server, such as `http://127.0.0.1:8000`. */
  server: string;
  /** Sent percent-encoded as `X-Actor` and recorded on every change. */
  actor: string;
  /** Connections kept open to the server; match it to the number of transfers in flight. */
  connections?: number;
  /** Aborting it cancels every request in flight and every later one. */
  signal?: AbortSignal;
}

type Method = 'GET' | 'POST' | 'PUT';

interface CallOptions {
  method?: Method;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  body?: Dispatcher.DispatchOptions['body'];
  signal?: AbortSignal;
  /** Statuses returned to the caller instead of being raised as errors. */
  accept?: number[];
}

const MEDIA_TYPES: Record<ManifestFormat, string> = {
  cbor: 'application/cbor',
  json: 'application/json',
};

/**
 * Runs client operations against an artifactstore server over HTTP/1.1 with keep-alive
 * connections. Request and response bodies are streamed, never buffered. Error responses become
 * the `StoreError` the server raised, with the same code. Package ids, file paths and digests
 * that would change the route of a request are rejected before it is sent.
 */
export class HttpClient implements StoreClient {
  readonly target: string;
  readonly #base: URL;
  readonly #actor: string;
  readonly #agent: Agent;
  readonly #signal: AbortSignal | undefined;

  /** Validates the server URL; INVALID_ARGUMENT when it is not an http or https URL. */
  constructor(options: HttpClientOptions) {
    this.#base = parseServerUrl(options.server);
    this.target = this.#base.href;
    this.#actor = options.actor;
    this.#agent = new Agent({ connections: options.connections ?? 8, keepAliveTimeout: 10_000 });
    this.#signal = options.signal;
  }

  async createPackage(input: NewPackage): Promise<PackageRecord> {
    const response = await this.#call('v1/packages', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    return (await response.body.json()) as PackageRecord;
  }

  async uploadFile(upload: FileUpload): Promise<FileRecord> {
    const headers: Record<string, string> = {
      'content-type': upload.mediaType ?? 'application/octet-stream',
      'content-length': String(upload.size),
    };
    if (upload.expectedDigest !== undefined) headers['x-expected-digest'] = upload.expectedDigest;
    const response = await this.#call(filePath(upload.packageId, upload.path), {
      method: 'PUT',
      headers,
      body: upload.body,
      signal: upload.signal,
    });
    return (await response.body.json()) as FileRecord;
  }

  async finalize(packageId: string): Promise<FinalizeResult> {
    const response = await this.#call(packageRoute(packageId, '/finalize'), { method: 'POST' });
    return (await response.body.json()) as FinalizeResult;
  }

  async getPackage(packageId: string): Promise<PackageRecord> {
    const response = await this.#call(packageRoute(packageId));
    return (await response.body.json()) as PackageRecord;
  }

  async listPackages(query: ListPackagesQuery): Promise<Page<PackageRecord>> {
    const response = await this.#call('v1/packages', { query: { ...query } });
    return (await response.body.json()) as Page<PackageRecord>;
  }

  async listFiles(
    packageId: string,
    query: { cursor?: string; limit?: number },
  ): Promise<Page<FileRecord>> {
    const response = await this.#call(packageRoute(packageId, '/files'), { query });
    return (await response.body.json()) as Page<FileRecord>;
  }

  async openFile(packageId: string, path: string, signal?: AbortSignal): Promise<FileDownload> {
    return this.#download(filePath(packageId, path), signal);
  }

  async openObject(digest: Digest, _size: number, signal?: AbortSignal): Promise<FileDownload> {
    return this.#download(`v1/objects/${encodeURIComponent(parseDigest(digest))}`, signal);
  }

  async getManifest(
    packageId: string,
    format: ManifestFormat,
  ): Promise<{ digest: Digest; bytes: Buffer }> {
    const path = packageRoute(packageId, '/manifest');
    const response = await this.#call(path, { headers: { accept: MEDIA_TYPES[format] } });
    const bytes = Buffer.from(await response.body.arrayBuffer());
    const digest = parseEtag(response.headers.etag, path);
    if (format === 'cbor') verifyManifest(bytes, digest, packageId);
    return { digest, bytes };
  }

  async health(): Promise<HealthStatus> {
    const response = await this.#call('health', { accept: [503] });
    return (await response.body.json()) as HealthStatus;
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  async #call(path: string, options: CallOptions = {}): Promise<Dispatcher.ResponseData> {
    const url = this.#url(path, options.query);
    const method = options.method ?? 'GET';
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        dispatcher: this.#agent,
        method,
        // Header values must be latin1, so the actor travels percent-encoded as UTF-8.
        headers: { 'x-actor': encodeURIComponent(this.#actor), ...options.headers },
        body: options.body,
        signal: this.#requestSignal(options.signal),
      });
    } catch (err) {
      throw wrapNetworkError(err, this.#base.origin);
    }
    if (response.statusCode < 400 || options.accept?.includes(response.statusCode)) return response;
    throw await errorFromResponse(response, { method, url: url.pathname });
  }

  async #download(route: string, signal: AbortSignal | undefined): Promise<FileDownload> {
    const response = await this.#call(route, { signal });
    const digest = parseEtag(response.headers.etag, route);
    const size = Number(response.headers['content-length']);
    return { digest, size, stream: response.body };
  }

  #requestSignal(signal: AbortSignal | undefined): AbortSignal | undefined {
    if (signal === undefined) return this.#signal;
    if (this.#signal === undefined) return signal;
    return AbortSignal.any([signal, this.#signal]);
  }

  #url(path: string, query: CallOptions['query'] = {}): URL {
    const url = new URL(path, this.#base);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }
}

function parseServerUrl(server: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(server);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new StoreError(
      'INVALID_ARGUMENT',
      `invalid server URL "${server}": expected an http:// or https:// URL such as http://127.0.0.1:8000`,
      { option: '--server', value: server },
    );
  }
  // A base without a trailing slash would drop its last segment when paths are resolved.
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/**
 * Returns the route of a package, followed by `suffix`. Rejects an id that the URL would
 * resolve as a `.` or `..` segment.
 */
function packageRoute(packageId: string, suffix = ''): string {
  return `v1/packages/${encodeURIComponent(validatePackageId(packageId))}${suffix}`;
}

/**
 * Returns the route of one file: each path segment is percent-encoded, `/` stays a separator.
 * Percent-encoding leaves `.` and `..` as they are, and the URL would resolve them, so the path
 * is validated first (INVALID_PATH) and no request goes out for an invalid one.
 */
function filePath(packageId: string, path: string): string {
  validateFileAddress(packageId, path);
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  return `${packageRoute(packageId)}/files/${encoded}`;
}

/** Reads the content address from an `ETag` header, which the server sets to the quoted digest. */
function parseEtag(etag: string | string[] | undefined, path: string): Digest {
  const value = (Array.isArray(etag) ? etag[0] : etag)?.replace(/^W\//, '').replaceAll('"', '');
  if (isDigest(value)) return value;
  throw new StoreError(
    'UNEXPECTED_RESPONSE',
    `GET /${path} returned no content address in its ETag header (got ${JSON.stringify(etag ?? null)})`,
    { etag: etag ?? null },
  );
}

function verifyManifest(bytes: Buffer, digest: Digest, packageId: string): void {
  const actual = digestOf(bytes);
  if (actual === digest) return;
  throw new StoreError(
    'INTEGRITY_ERROR',
    `manifest of package ${packageId} does not match its address: expected ${digest}, got ${actual}`,
    { packageId, expected: digest, actual },
  );
}
