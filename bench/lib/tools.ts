import { runCommand } from './processes.js';

/** One external program a peer row needs, and the Debian package that ships it. */
interface ToolSpec {
  binary: string;
  debianPackage: string;
  versionArgs: string[];
}

/** Whether an external program can be used in this run, and why not. */
export interface ToolStatus {
  available: boolean;
  version?: string;
  reason?: string;
}

const TOOLS: ToolSpec[] = [
  { binary: 'b3sum', debianPackage: 'b3sum', versionArgs: ['--version'] },
  { binary: 'docker-registry', debianPackage: 'docker-registry', versionArgs: ['--version'] },
  { binary: 'nginx', debianPackage: 'nginx', versionArgs: ['-v'] },
  { binary: 'restic', debianPackage: 'restic', versionArgs: ['version'] },
  { binary: 'git', debianPackage: 'git', versionArgs: ['--version'] },
  { binary: 'curl', debianPackage: 'curl', versionArgs: ['--version'] },
];

async function findBinary(binary: string): Promise<string | undefined> {
  const found = await runCommand('sh', ['-c', `command -v ${binary}`], { check: false });
  return found.code === 0 ? found.stdout.trim() : undefined;
}

async function versionOf(spec: ToolSpec): Promise<string> {
  const result = await runCommand(spec.binary, spec.versionArgs, { check: false });
  return `${result.stdout}${result.stderr}`.trim().split('\n')[0] ?? '';
}

/** Installs one package with apt-get; returns the failure reason, or undefined on success. */
async function aptInstall(debianPackage: string): Promise<string | undefined> {
  const result = await runCommand('apt-get', ['install', '-y', debianPackage], {
    check: false,
    timeoutMs: 300_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.code === 0) return undefined;
  const lines = result.stderr.trim().split('\n');
  return `apt-get install ${debianPackage} failed: ${lines[lines.length - 1] ?? ''}`;
}

/**
 * Finds every peer program, installing the missing ones from Debian's packages (one
 * `apt-get update`, then one install per package so that one failure does not hide the others).
 */
export async function ensureTools(log: (line: string) => void): Promise<Map<string, ToolStatus>> {
  const statuses = new Map<string, ToolStatus>();
  const missing = [];
  for (const spec of TOOLS) {
    if ((await findBinary(spec.binary)) === undefined) missing.push(spec);
  }
  if (missing.length > 0) {
    log(`installing ${missing.map((spec) => spec.debianPackage).join(', ')} with apt-get`);
    await runCommand('apt-get', ['update'], { check: false, timeoutMs: 300_000 });
  }
  for (const spec of TOOLS) {
    const reason = missing.includes(spec) ? await aptInstall(spec.debianPackage) : undefined;
    if (reason !== undefined || (await findBinary(spec.binary)) === undefined) {
      statuses.set(spec.binary, { available: false, reason: reason ?? `${spec.binary} not found` });
      continue;
    }
    statuses.set(spec.binary, { available: true, version: await versionOf(spec) });
  }
  return statuses;
}
