import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { once } from 'node:events';

/** Outcome of a command run to completion. */
export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, in seconds. */
  seconds: number;
}

/** Options of `runCommand`. */
export interface RunOptions extends SpawnOptions {
  /** Kill the command after this many milliseconds (default 10 minutes). */
  timeoutMs?: number;
  /** Reject unless the exit status is 0 (default true). */
  check?: boolean;
}

const live = new Map<number, ChildProcess>();

/** Spawns a long-running child and tracks its pid so `stopAll` can end it. */
export function spawnTracked(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (child.pid === undefined) throw new Error(`failed to start ${command}`);
  const pid = child.pid;
  live.set(pid, child);
  child.once('exit', () => live.delete(pid));
  return child;
}

/** Sends SIGTERM to a tracked child by pid, then SIGKILL after `graceMs` if it is still alive. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

/** Stops every tracked child that is still running. */
export async function stopAll(): Promise<void> {
  await Promise.allSettled([...live.values()].map((child) => stopProcess(child)));
}

/** Kills every tracked child at once; for the process `exit` hook, which cannot wait. */
export function killAllNow(): void {
  for (const pid of live.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // The child exited between the exit event and this call.
    }
  }
}

/** Runs a command to completion, collecting its output and wall time. */
export async function runCommand(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  const { timeoutMs = 600_000, check = true, ...spawnOptions } = options;
  const started = process.hrtime.bigint();
  const child = spawnTracked(command, args, spawnOptions);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const result = { code, signal, stdout, stderr, seconds };
  if (check && code !== 0) {
    const reason = signal === null ? `exit status ${code}` : `signal ${signal}`;
    throw new Error(`${command} ${args.join(' ')} failed with ${reason}: ${stderr.trim()}`);
  }
  return result;
}

/** Waits until `predicate` returns true, polling every 50 ms for at most `timeoutMs`. */
export async function waitFor(
  what: string,
  predicate: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * Waits for a child to print `listening on http://…` on stdout or stderr and returns the URL.
 * Output keeps being drained afterwards so the child never blocks on a full pipe.
 */
export function waitForListenUrl(child: ChildProcess, name: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let output = '';
    let found = false;
    const fail = (reason: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start (${reason}): ${output.slice(-2000)}`));
    };
    const timer = setTimeout(() => fail('timed out after 30 s'), 30_000);
    const onExit = (code: number | null) => fail(`exited with status ${code}`);
    const onData = (chunk: Buffer) => {
      if (found) return;
      output = (output + chunk.toString()).slice(-8000);
      const match = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (match === null) return;
      found = true;
      clearTimeout(timer);
      child.off('exit', onExit);
      resolvePromise(match[1]!);
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Returns a TCP port on 127.0.0.1 that was free a moment ago, for servers that need a number. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no TCP port assigned');
  return address.port;
}
