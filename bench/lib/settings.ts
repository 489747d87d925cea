/** How thorough a benchmark run is. */
export type BenchMode = 'quick' | 'full';

/** Sizes and repetition counts of one benchmark run. */
export interface BenchSettings {
  mode: BenchMode;
  /** Measured runs per figure, after one warm-up run. */
  runs: number;
  /** Size of the large-transfer file, in bytes. */
  largeBytes: number;
  /** Size of the second upload of the memory figure, in bytes. */
  hugeBytes: number;
  /** Number of 4 KiB uploads per small-upload run. */
  smallUploads: number;
  /** Number of files in the generated directory for push, pull, git and restic. */
  treeFiles: number;
  /** Number of files in the package whose finalize is timed. */
  finalizeFiles: number;
  /** Number of packages in the listing database. */
  listingPackages: number;
  /** Files added per package in the replay log, so events = packages × (files + 2). */
  replayFilesPerPackage: number;
  /** Requests per listing run. */
  listingRequests: number;
}

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;

const FULL: BenchSettings = {
  mode: 'full',
  runs: 5,
  largeBytes: GIB,
  hugeBytes: 4 * GIB,
  smallUploads: 1000,
  treeFiles: 10_000,
  finalizeFiles: 100_000,
  listingPackages: 100_000,
  replayFilesPerPackage: 8,
  listingRequests: 500,
};

/**
 * Quick mode keeps the large file sizes, because the memory figure compares 1 GiB with 4 GiB, and
 * the 100,000 packages of the listing figures. It uses 3 runs, fewer small uploads, a smaller
 * tree and finalized package, and a replay log of 3 events per package.
 */
const QUICK: BenchSettings = {
  ...FULL,
  mode: 'quick',
  runs: 3,
  smallUploads: 500,
  treeFiles: 2_000,
  finalizeFiles: 5_000,
  replayFilesPerPackage: 1,
  listingRequests: 200,
};

/** Returns the settings of `mode`. */
export function settingsFor(mode: BenchMode): BenchSettings {
  return mode === 'full' ? FULL : QUICK;
}

/** Formats a byte count with binary units, such as `1 GiB` or `4 KiB`. */
export function formatSize(bytes: number): string {
  if (bytes >= GIB && bytes % GIB === 0) return `${bytes / GIB} GiB`;
  if (bytes >= MIB && bytes % MIB === 0) return `${bytes / MIB} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}
