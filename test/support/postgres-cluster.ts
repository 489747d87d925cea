import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Time allowed for initdb, and for pg_ctl to start or stop the server. */
const COMMAND_TIMEOUT_MS = 60_000;

/** Finds the directory holding initdb and pg_ctl, or returns null. */
async function findBinDir(): Promise<string | null> {
  const candidates: string[] = [];
  try {
    const { stdout } = await run('pg_config', ['--bindir']);
    candidates.push(stdout.trim());
  } catch {
    // pg_config is missing; fall back to Debian's versioned directories below.
  }
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => join(debianRoot, version, 'bin')));
  }
  return (
    candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) ??
    null
  );
}

/** Returns the uid and gid of the `postgres` user, or null when there is none. */
async function postgresUser(): Promise<{ uid: number; gid: number } | null> {
  try {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    return { uid, gid };
  } catch {
    return null;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no TCP port assigned');
  return address.port;
}

/**
 * A throwaway PostgreSQL server in a temporary directory, listening on 127.0.0.1 and a free port
 * with trust authentication. Tests stop and start it to simulate an outage; the shared server is
 * never touched. initdb refuses to run as root, so as root every command runs as `postgres`.
 */
export class PostgresCluster {
  readonly dir: string;
  readonly port: number;
  readonly #binDir: string;
  readonly #prefix: string[];

  private constructor(dir: string, port: number, binDir: string, prefix: string[]) {
    this.dir = dir;
    this.port = port;
    this.#binDir = binDir;
    this.#prefix = prefix;
  }

  /**
   * Runs initdb into a new temporary directory. Returns the reason instead of a cluster when the
   * PostgreSQL binaries, or a `postgres` user to run them as root, are missing.
   */
  static async create(): Promise<PostgresCluster | string> {
    const binDir = await findBinDir();
    if (binDir === null)
      return 'initdb and pg_ctl not found (pg_config --bindir, /usr/lib/postgresql)';
    const isRoot = process.getuid?.() === 0;
    const user = isRoot ? await postgresUser() : null;
    if (isRoot && user === null) return 'running as root and there is no postgres user for initdb';

    const dir = await mkdtemp(join(tmpdir(), 'artifactstore-pg-'));
    if (user !== null) await chown(dir, user.uid, user.gid);
    const prefix = user !== null ? ['runuser', '-u', 'postgres', '--'] : [];
    const cluster = new PostgresCluster(dir, await freePort(), binDir, prefix);
    await cluster.#exec('initdb', [
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '-D',
      cluster.#dataDir,
    ]);
    return cluster;
  }

  /** Connection URL of the cluster's `postgres` database. */
  get url(): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/postgres`;
  }

  get #dataDir(): string {
    return join(this.dir, 'data');
  }

  async #exec(tool: string, args: string[]): Promise<void> {
    const command = [...this.#prefix, join(this.#binDir, tool), ...args];
    await run(command[0]!, command.slice(1), { cwd: this.dir, timeout: COMMAND_TIMEOUT_MS });
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const options = `-k ${this.dir} -p ${this.port} -c listen_addresses=127.0.0.1 -c fsync=off`;
    const log = join(this.dir, 'server.log');
    await this.#exec('pg_ctl', ['-D', this.#dataDir, '-o', options, '-l', log, '-w', 'start']);
  }

  /** Stops the server at once, like a crash: clients see their connections drop. */
  async stop(): Promise<void> {
    await this.#exec('pg_ctl', ['-D', this.#dataDir, '-m', 'immediate', '-w', 'stop']);
  }

  /** Stops the server if it runs and removes its directory. */
  async destroy(): Promise<void> {
    await this.stop().catch(() => {});
    await rm(this.dir, { recursive: true, force: true });
  }
}
