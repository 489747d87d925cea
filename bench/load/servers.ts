import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

/** Repository root, where `src/cli/main.ts` lives. */
export const REPOSITORY_ROOT = new URL('../../', import.meta.url).pathname;

/** Time a server gets to respond to /health with 200 after it was spawned. */
const START_TIMEOUT_MS = 60_000;

/** Time a server gets to exit after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 15_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no TCP port assigned');
  return address.port;
}

/** One `artifactstore serve` child process. */
export class ServerProcess {
  readonly origin: string;
  readonly logPath: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<unknown>;

  constructor(origin: string, logPath: string, child: ChildProcess) {
    this.origin = origin;
    this.logPath = logPath;
    this.#child = child;
    this.#exited = once(child, 'exit');
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Polls GET /health until it returns 200; fails when the process exits or time runs out. */
  async waitUntilHealthy(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`server ${this.origin} exited: ${await this.logTail()}`);
      try {
        const response = await request(`${this.origin}/health`);
        await response.body.dump();
        if (response.statusCode === 200) return;
      } catch {
        // Not listening yet.
      }
      await sleep(200);
    }
    throw new Error(`server ${this.origin} did not become healthy in ${START_TIMEOUT_MS} ms`);
  }

  /** Sends SIGTERM, waits for a graceful exit, and kills the process after STOP_TIMEOUT_MS. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Reads the last lines of the server log. */
  async logTail(lines = 20): Promise<string> {
    const text = await readFile(this.logPath, 'utf8').catch(() => '');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  }
}

/**
 * Spawns `count` servers on one store, all at once so that they also migrate concurrently, and
 * waits until each returns 200 from /health. Server logs go to `dir/server-N.log`.
 */
export async function startServers(
  count: number,
  env: Record<string, string>,
  dir: string,
): Promise<ServerProcess[]> {
  const servers: ServerProcess[] = [];
  for (let index = 0; index < count; index++) {
    const port = await freePort();
    const logPath = join(dir, `server-${index}.log`);
    const log = createWriteStream(logPath);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', String(port)],
      { cwd: REPOSITORY_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    servers.push(new ServerProcess(`http://127.0.0.1:${port}`, logPath, child));
  }
  try {
    await Promise.all(servers.map((server) => server.waitUntilHealthy()));
  } catch (err) {
    await Promise.all(servers.map((server) => server.stop()));
    throw err;
  }
  return servers;
}
