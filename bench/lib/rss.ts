import { readFileSync, writeFileSync } from 'node:fs';

/** Memory figures of one process from /proc/PID/status, in KiB. */
export interface MemoryStatus {
  vmRssKiB: number;
  vmHwmKiB: number;
}

/** Reads VmRSS and VmHWM of `pid`. */
export function readMemory(pid: number): MemoryStatus {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { vmRssKiB: field('VmRSS'), vmHwmKiB: field('VmHWM') };
}

/**
 * Resets the peak RSS (VmHWM) of `pid` to its current RSS by writing 5 to clear_refs (Linux 4.0+).
 * Returns false where the kernel or the permissions do not allow it.
 */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Samples VmRSS of a process every 50 ms between `start` and `stop`, and combines the highest
 * sample with VmHWM (reset at `start`), which also catches peaks between two samples.
 */
export class PeakRssSampler {
  readonly #pid: number;
  #timer: NodeJS.Timeout | undefined;
  #maxKiB = 0;
  #hwmReset = false;

  constructor(pid: number) {
    this.#pid = pid;
  }

  /** Resets the peak and starts sampling. */
  start(): void {
    this.#hwmReset = resetPeak(this.#pid);
    this.#maxKiB = readMemory(this.#pid).vmRssKiB;
    this.#timer = setInterval(() => this.#sample(), 50);
  }

  /** Stops sampling and returns the peak RSS since `start`, in bytes. */
  stop(): number {
    clearInterval(this.#timer);
    this.#sample();
    const { vmHwmKiB } = readMemory(this.#pid);
    const peakKiB = this.#hwmReset ? Math.max(this.#maxKiB, vmHwmKiB) : this.#maxKiB;
    return peakKiB * 1024;
  }

  #sample(): void {
    try {
      this.#maxKiB = Math.max(this.#maxKiB, readMemory(this.#pid).vmRssKiB);
    } catch {
      // The process has exited; keep the samples taken so far.
    }
  }
}
