import { cpus, totalmem } from 'node:os';
import { runCommand } from './processes.js';

/** Facts about the machine and software a run was measured on. */
export interface MachineInfo {
  date: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  disk: string;
  node: string;
  kernel: string;
}

async function output(command: string, args: string[]): Promise<string> {
  const result = await runCommand(command, args, { check: false });
  return result.code === 0 ? result.stdout.trim() : `(${command} failed)`;
}

/** Reads cores, memory, the disk under the temp directory (`df`, `lsblk`) and versions. */
export async function describeMachine(tempDir: string): Promise<MachineInfo> {
  const df = (await output('df', ['-h', '--output=source,fstype,size,avail', tempDir])).split(
    '\n',
  )[1];
  const lsblk = await output('lsblk', ['-d', '-n', '-o', 'NAME,SIZE,ROTA,TYPE']);
  const disks = lsblk
    .split('\n')
    .filter((line) => line.includes('disk') && !line.startsWith('zram'))
    .map((line) => line.trim().replace(/\s+/g, ' '));
  return {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    disk: `df: ${df?.trim().replace(/\s+/g, ' ')}; lsblk (name size rotational type): ${disks.join(', ')}`,
    node: process.version,
    kernel: await output('uname', ['-sr']),
  };
}
