import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** Repository root: the working directory of every CLI run. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const CLI_ARGS = ['--import', 'tsx', 'src/cli/main.ts'];

/** Default maximum duration of one CLI run; the run is killed after that. */
const RUN_TIMEOUT_MS = 60_000;

/** Outcome of one CLI run. */
export interface CliResult {
  status: number | null;
  stdout: Buffer;
  /** stdout decoded as UTF-8. */
  out: string;
  err: string;
}

/**
 * Environment of a CLI run: PATH and HOME of the test process, no inherited ARTIFACTSTORE_*
 * variable, and the given variables on top.
 */
export function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('ARTIFACTSTORE_')) base[key] = value;
  }
  return { ...base, ...env };
}

/**
 * Starts the real CLI (`node --import tsx src/cli/main.ts …`) without waiting for it. `input`,
 * when given, is written to its stdin, which is closed afterwards; otherwise stdin is empty.
 */
export function startCli(
  args: readonly string[],
  env: Record<string, string>,
  input?: Buffer,
): ChildProcess {
  const child = spawn(process.execPath, [...CLI_ARGS, ...args], {
    cwd: REPO_ROOT,
    env: cliEnv(env),
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  child.stdin?.end(input);
  return child;
}

/** Collects the output of a started CLI and waits for it to exit, killing it after `timeoutMs`. */
export function collect(child: ChildProcess, timeoutMs = RUN_TIMEOUT_MS): Promise<CliResult> {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      const out = Buffer.concat(stdout);
      resolve({
        status,
        stdout: out,
        out: out.toString('utf8'),
        err: Buffer.concat(stderr).toString(),
      });
    });
  });
}

/** Runs the real CLI to completion, with `input` on its stdin when given. */
export function runCli(
  args: readonly string[],
  env: Record<string, string>,
  input?: Buffer,
  timeoutMs = RUN_TIMEOUT_MS,
): Promise<CliResult> {
  return collect(startCli(args, env, input), timeoutMs);
}

/** A `serve` child process and the URL it listens on. */
export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Output written to stderr so far. */
  stderr(): string;
  /** Stops the server with SIGTERM (or the given signal) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `artifactstore serve --port 0` and waits until it reports its address. */
export async function startServerProcess(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...CLI_ARGS, 'serve', '--port', '0'], {
    cwd: REPO_ROOT,
    env: cliEnv({ ARTIFACTSTORE_LOG_LEVEL: 'warn', ...env }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening; stderr: ${stderr}`));
    });
  });
  return {
    url,
    child,
    stderr: () => stderr,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
}
