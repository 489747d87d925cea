/**
 * Runs `task(index)` for every index below `count` with `concurrency` tasks in flight, and
 * returns the wall time in seconds. Fails fast on the first error, and after `timeoutMs`.
 */
export async function runConcurrent(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
  timeoutMs = 300_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      if (Date.now() > deadline) throw new Error(`load run timed out after ${timeoutMs} ms`);
      const index = next;
      next += 1;
      await task(index);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return (performance.now() - started) / 1000;
}
