import type { ProductRuntime } from './product.js';
import type { Results } from './results.js';
import type { BenchSettings } from './settings.js';
import type { ToolStatus } from './tools.js';

/** Everything a scenario needs: settings, shared fixtures, the product runtime and the results. */
export interface BenchContext {
  settings: BenchSettings;
  runtime: ProductRuntime;
  tools: ReadonlyMap<string, ToolStatus>;
  results: Results;
  log(line: string): void;
  /** Random file of `settings.largeBytes`, stamped before each upload run. */
  largeFile: string;
  /** Generated tree of `settings.treeFiles` small files. */
  treeDir: string;
  treeBytes: number;
}

/** A group of measurements that adds rows to `context.results`. */
export interface Scenario {
  name: string;
  run(context: BenchContext): Promise<void>;
  /** Runs one representative iteration with the product server under `node --cpu-prof`. */
  profile?(context: BenchContext, profileDir: string): Promise<void>;
}

/** Converts bytes over seconds to MB/s (10^6 bytes per second). */
export function megabytesPerSecond(bytes: number, seconds: number): number {
  return bytes / seconds / 1e6;
}

/** Returns the reason a tool cannot be used, or undefined when it can. */
export function toolMissing(context: BenchContext, binary: string): string | undefined {
  const status = context.tools.get(binary);
  if (status?.available) return undefined;
  return `not available: ${status?.reason ?? `${binary} was not checked`}`;
}
