/**
 * Benchmark suite: measures artifactstore next to physical limits and peer programs on this
 * machine in one run, prints PASS/MISS per target, saves raw JSON to bench/results/ and writes
 * docs/benchmarks.md.
 *
 * Usage: npm run bench -- [--quick | --full] [--only SCENARIO,…] [--no-profile]
 *        npm run bench -- --render bench/results/FILE.json   (docs/benchmarks.md from a saved run)
 */
import { mkdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext, Scenario } from './lib/context.js';
import { summarizeProfileTree } from './lib/cpu-profile.js';
import { writeFileTree, writeRandomFile } from './lib/fixtures.js';
import { describeMachine } from './lib/machine.js';
import { REPO_ROOT, prepareProduct } from './lib/product.js';
import { killAllNow, stopAll } from './lib/processes.js';
import { evaluateTargets, renderMarkdown, type RunReport } from './lib/report.js';
import { Results } from './lib/results.js';
import { type BenchMode, settingsFor } from './lib/settings.js';
import { TARGETS } from './lib/targets.js';
import { ensureTools } from './lib/tools.js';
import { makeTempDir, removeAllTemp } from './lib/temp.js';
import { finalizeScenario } from './scenarios/finalize.js';
import { largeTransfersScenario } from './scenarios/large-transfers.js';
import { limitsScenario } from './scenarios/limits.js';
import { memoryScenario } from './scenarios/memory.js';
import { replayListingScenario } from './scenarios/replay-listing.js';
import { s3Scenario } from './scenarios/s3.js';
import { smallUploadsScenario } from './scenarios/small-uploads.js';
import { treeScenario } from './scenarios/tree.js';

const SCENARIOS: Scenario[] = [
  limitsScenario,
  largeTransfersScenario,
  smallUploadsScenario,
  treeScenario,
  finalizeScenario,
  replayListingScenario,
  memoryScenario,
  s3Scenario,
];

/** Free space needed under the temp directory: fixtures, stored copies and the 4 GiB uploads. */
const REQUIRED_FREE_BYTES = { quick: 30 * 1024 ** 3, full: 45 * 1024 ** 3 };

interface Options {
  mode: BenchMode;
  /** Saved JSON report to render to docs/benchmarks.md again, without measuring. */
  render?: string;
  only?: string[];
  profile: boolean;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { mode: 'quick', profile: true };
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index];
    if (arg === '--quick' || arg === '--full') options.mode = arg === '--full' ? 'full' : 'quick';
    else if (arg === '--no-profile') options.profile = false;
    else if (arg === '--render') options.render = argv[++index];
    else if (arg === '--only') options.only = (argv[++index] ?? '').split(',');
    else
      throw new Error(
        `unknown option ${arg}; use --quick, --full, --only SCENARIO,…, --no-profile or --render FILE.json`,
      );
  }
  const unknown = options.only?.filter((name) => !SCENARIOS.some((s) => s.name === name)) ?? [];
  if (unknown.length > 0) {
    const names = SCENARIOS.map((s) => s.name).join(', ');
    throw new Error(`unknown scenario ${unknown.join(', ')}; choose from ${names}`);
  }
  return options;
}

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

function checkFreeSpace(mode: BenchMode): void {
  const stats = statfsSync(tmpdir());
  const free = stats.bavail * stats.bsize;
  if (free < REQUIRED_FREE_BYTES[mode]) {
    const need = (REQUIRED_FREE_BYTES[mode] / 1024 ** 3).toFixed(0);
    throw new Error(
      `only ${(free / 1024 ** 3).toFixed(1)} GiB free under ${tmpdir()}; ${mode} mode needs ${need} GiB: free space or set TMPDIR`,
    );
  }
}

async function prepareContext(options: Options): Promise<BenchContext> {
  const settings = settingsFor(options.mode);
  const tools = await ensureTools(log);
  log('compiling the product with tsc');
  const runtime = await prepareProduct(log);
  const fixtures = makeTempDir('fixtures');
  const largeFile = join(fixtures, 'large', 'large.bin');
  mkdirSync(join(fixtures, 'large'));
  log(
    `writing fixtures: a random ${settings.largeBytes} B file and ${settings.treeFiles} small files`,
  );
  writeRandomFile(largeFile, settings.largeBytes);
  const treeDir = join(fixtures, 'tree');
  const tree = writeFileTree(treeDir, settings.treeFiles, 42);
  return {
    settings,
    runtime,
    tools,
    results: new Results(),
    log,
    largeFile,
    treeDir,
    treeBytes: tree.bytes,
  };
}

async function runScenarios(context: BenchContext, selected: Scenario[], failures: string[]) {
  for (const scenario of selected) {
    log(`scenario ${scenario.name}`);
    const started = Date.now();
    try {
      await scenario.run(context);
    } catch (err) {
      failures.push(`${scenario.name}: ${(err as Error).message.slice(0, 500)}`);
      log(`scenario ${scenario.name} failed: ${(err as Error).stack}`);
      await stopAll();
    }
    log(`scenario ${scenario.name} took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
}

/** Re-runs, under `node --cpu-prof`, each selected scenario that owns a missed target. */
async function profileMisses(context: BenchContext, report: RunReport, selected: Scenario[]) {
  const missed = new Set(
    TARGETS.filter(
      (target) => report.verdicts.find((v) => v.label === target.label)?.pass === false,
    )
      .map((target) => target.profileScenario)
      .filter((name): name is string => name !== undefined),
  );
  for (const scenario of selected.filter((s) => missed.has(s.name) && s.profile !== undefined)) {
    log(`profiling ${scenario.name}`);
    const dir = makeTempDir(`profile-${scenario.name}`);
    try {
      await scenario.profile!(context, dir);
      report.profiles.push(...summarizeProfileTree(dir, scenario.name));
    } catch (err) {
      report.failures.push(`profile of ${scenario.name}: ${(err as Error).message.slice(0, 300)}`);
    }
  }
}

function printVerdicts(report: RunReport): void {
  for (const verdict of report.verdicts) {
    let mark = 'N/A ';
    if (verdict.pass !== undefined) mark = verdict.pass ? 'PASS' : 'MISS';
    console.log(`${mark}  ${verdict.label}: ${verdict.detail}`);
  }
}

function saveReport(report: RunReport): void {
  const resultsDir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const stamp = report.machine.date.replace(/[:.]/g, '-');
  const jsonPath = join(resultsDir, `${stamp}-${report.settings.mode}.json`);
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${jsonPath}`);
  writeMarkdown(report);
}

function writeMarkdown(report: RunReport): void {
  const markdown = renderMarkdown(report, join(REPO_ROOT, 'bench', 'analysis.md'));
  writeFileSync(join(REPO_ROOT, 'docs', 'benchmarks.md'), markdown);
  log('wrote docs/benchmarks.md');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.render !== undefined) {
    const saved = JSON.parse(readFileSync(options.render, 'utf8')) as RunReport;
    return writeMarkdown(saved);
  }
  checkFreeSpace(options.mode);
  const context = await prepareContext(options);
  const selected = SCENARIOS.filter(
    (s) => options.only === undefined || options.only.includes(s.name),
  );
  const failures: string[] = [];
  await runScenarios(context, selected, failures);
  const report: RunReport = {
    settings: context.settings,
    machine: await describeMachine(tmpdir()),
    productRuntime: context.runtime.label,
    tools: Object.fromEntries(context.tools),
    rows: [...context.results.rows.values()],
    verdicts: evaluateTargets(context.results.rows),
    profiles: [],
    failures,
  };
  if (options.profile) await profileMisses(context, report, selected);
  printVerdicts(report);
  saveReport(report);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping servers and removing temp files`);
    stopAll().finally(() => {
      removeAllTemp();
      process.exit(130);
    });
  });
}
process.once('exit', () => {
  killAllNow();
  removeAllTemp();
});

main()
  .catch((err: Error) => {
    log(`benchmark failed: ${err.stack ?? err.message}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await stopAll();
    removeAllTemp();
  });
