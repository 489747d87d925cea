/** Median, minimum and maximum of repeated measurements of one figure. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  /** Measured runs, warm-up excluded. */
  runs: number;
  values: number[];
}

/** Summarises measured values; the input order is kept in `values`. */
export function summarize(values: number[]): Summary {
  if (values.length === 0) throw new Error('summarize: no values measured');
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: percentile(sorted, 50),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    runs: values.length,
    values,
  };
}

/** Returns the p-th percentile (0–100) of ascending values, by linear interpolation. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error('percentile: no values');
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const fraction = rank - low;
  return sorted[low]! + (sorted[high]! - sorted[low]!) * fraction;
}

/**
 * Runs `measure` once as a warm-up (result discarded), then `runs` more times, and summarises
 * the values it returns.
 */
export async function repeat(
  runs: number,
  measure: (run: number) => Promise<number>,
): Promise<Summary> {
  await measure(-1);
  const values: number[] = [];
  for (let run = 0; run < runs; run += 1) values.push(await measure(run));
  return summarize(values);
}

/**
 * Measures several targets in turns, so that a slow spell of the machine falls on all of them
 * alike rather than on whichever target ran during it. Each target gets one warm-up, then
 * `runs` rounds run every target once. The order rotates by one place each round, so that no
 * target always follows the same one. Returns a summary per target, under the same keys.
 */
export async function repeatInTurns<Key extends string>(
  runs: number,
  measures: Record<Key, (run: number) => Promise<number>>,
): Promise<Record<Key, Summary>> {
  const keys = Object.keys(measures) as Key[];
  const values = new Map<Key, number[]>(keys.map((key) => [key, []]));
  for (const key of keys) await measures[key](-1);
  for (let run = 0; run < runs; run += 1) {
    for (let turn = 0; turn < keys.length; turn += 1) {
      const key = keys[(run + turn) % keys.length]!;
      values.get(key)!.push(await measures[key](run));
    }
  }
  return Object.fromEntries(keys.map((key) => [key, summarize(values.get(key)!)])) as Record<
    Key,
    Summary
  >;
}
