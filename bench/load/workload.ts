import { randomBytes } from 'node:crypto';
import { digestOf } from '../../src/identity/hasher.js';
import { type LoadClient, encodePath } from './http-client.js';

/** An upload that the server acknowledged with 201. */
export interface AckedFile {
  packageId: string;
  path: string;
  digest: string;
  size: number;
}

/** Results of the workload that the verification checks. */
export interface WorkloadOutcome {
  acked: AckedFile[];
  /** Packages whose finalize was acknowledged with 200. */
  finalized: Set<string>;
  /** Acknowledged uploads whose returned digest differed from the bytes sent. */
  digestMismatches: number;
  /** Downloads during the workload whose bytes did not hash to the file's digest. */
  corruptDownloads: number;
}

/** Paths of session packages; repeats and the `lib` prefix clash on purpose (409 expected). */
const SESSION_PATHS = ['bin/app', 'lib/data.bin', 'README.md', 'docs/ünïcode notes.txt', 'lib'];

/** Packages that many clients upload into at once, so paths collide across servers. */
const SHARED_SLOTS = 8;
const SHARED_PATHS = 32;

const MIN_FILE_BYTES = 1024;

interface Content {
  bytes: Buffer;
  digest: string;
}

/** Shared state of the workload's clients. */
export class Workload {
  readonly #client: LoadClient;
  readonly #maxFileBytes: number;
  readonly #pool: Content[];
  readonly #shared: Array<string | null> = new Array(SHARED_SLOTS).fill(null);
  readonly outcome: WorkloadOutcome = {
    acked: [],
    finalized: new Set(),
    digestMismatches: 0,
    corruptDownloads: 0,
  };

  constructor(client: LoadClient, maxFileBytes: number) {
    this.#client = client;
    this.#maxFileBytes = maxFileBytes;
    // Identical content on purpose: the store must keep one object per digest.
    this.#pool = Array.from({ length: 16 }, () => this.#freshContent());
  }

  /** Size drawn log-uniformly between 1 KiB and the maximum, so small files dominate. */
  #size(): number {
    const low = Math.log(MIN_FILE_BYTES);
    const high = Math.log(this.#maxFileBytes);
    return Math.round(Math.exp(low + Math.random() * (high - low)));
  }

  #freshContent(): Content {
    const bytes = randomBytes(this.#size());
    return { bytes, digest: digestOf(bytes) };
  }

  #content(): Content {
    if (Math.random() < 0.5) return this.#pool[Math.floor(Math.random() * this.#pool.length)]!;
    return this.#freshContent();
  }

  /** Runs one client until the budget is spent. */
  async runClient(): Promise<void> {
    while (this.#client.budget.open) {
      const roll = Math.random();
      if (roll < 0.3) await this.#sharedUpload();
      else if (roll < 0.4 && this.outcome.acked.length > 0) await this.#download();
      else await this.#session();
    }
  }

  async #createPackage(name: string): Promise<string | null> {
    const body = JSON.stringify({
      name,
      producer: 'load-test',
      subject: `run-${process.pid}`,
      metadata: { client: name, sizes: 'mixed' },
    });
    const result = await this.#client.call(
      'create',
      this.#client.anyServer(),
      'POST',
      '/v1/packages',
      {
        body,
        headers: { 'content-type': 'application/json' },
      },
    );
    return result?.status === 201 ? String(result.json?.id) : null;
  }

  async #upload(packageId: string, path: string): Promise<void> {
    const content = this.#content();
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (Math.random() < 0.5) headers['x-expected-digest'] = content.digest;
    const url = `/v1/packages/${packageId}/files/${encodePath(path)}`;
    const result = await this.#client.call('upload', this.#client.anyServer(), 'PUT', url, {
      body: content.bytes,
      headers,
    });
    if (result?.status !== 201) return;
    if (result.json?.digest !== content.digest) this.outcome.digestMismatches += 1;
    this.outcome.acked.push({
      packageId,
      path,
      digest: content.digest,
      size: content.bytes.length,
    });
  }

  async #finalize(packageId: string): Promise<void> {
    const path = `/v1/packages/${packageId}/finalize`;
    const result = await this.#client.call('finalize', this.#client.anyServer(), 'POST', path);
    if (result?.status === 200) this.outcome.finalized.add(packageId);
  }

  /** Creates a package, uploads one to four files into it, then finalizes it. */
  async #session(): Promise<void> {
    const packageId = await this.#createPackage('session');
    if (packageId === null) return;
    const files = 1 + Math.floor(Math.random() * 4);
    for (let n = 0; n < files; n++) {
      const path = SESSION_PATHS[Math.floor(Math.random() * SESSION_PATHS.length)]!;
      await this.#upload(packageId, path);
    }
    await this.#finalize(packageId);
  }

  /** Uploads into a shared package, or now and then finalizes it and opens a replacement. */
  async #sharedUpload(): Promise<void> {
    const slot = Math.floor(Math.random() * SHARED_SLOTS);
    const packageId = this.#shared[slot] ?? (await this.#createPackage(`shared-${slot}`));
    if (packageId === null) return;
    this.#shared[slot] ??= packageId;
    if (Math.random() < 1 / 30) {
      await this.#finalize(packageId);
      if (this.#shared[slot] === packageId) this.#shared[slot] = null;
      return;
    }
    await this.#upload(packageId, `shared/${Math.floor(Math.random() * SHARED_PATHS)}`);
  }

  /** Downloads an acknowledged file and checks its bytes. */
  async #download(): Promise<void> {
    const acked = this.outcome.acked;
    const file = acked[Math.floor(Math.random() * acked.length)]!;
    const url = `/v1/packages/${file.packageId}/files/${encodePath(file.path)}`;
    const result = await this.#client.call('download', this.#client.anyServer(), 'GET', url);
    if (result?.status === 200 && digestOf(result.body) !== file.digest) {
      this.outcome.corruptDownloads += 1;
    }
  }
}
