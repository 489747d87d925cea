import { existsSync, readFileSync } from 'node:fs';
import type { TopFrame } from './cpu-profile.js';
import type { MachineInfo } from './machine.js';
import { COMPARISONS, TARGETS } from './targets.js';
import { formatNumber, type Row } from './results.js';
import type { BenchSettings } from './settings.js';
import type { ToolStatus } from './tools.js';

/** Everything one run produced, as saved to bench/results/ and rendered to docs/benchmarks.md. */
export interface RunReport {
  settings: BenchSettings;
  machine: MachineInfo;
  productRuntime: string;
  tools: Record<string, ToolStatus>;
  rows: Row[];
  verdicts: Array<{ label: string; pass?: boolean; detail: string }>;
  profiles: Array<{ scenario: string; frames: TopFrame[] }>;
  failures: string[];
}

/** Evaluates every target on the rows of a run. */
export function evaluateTargets(rows: ReadonlyMap<string, Row>): RunReport['verdicts'] {
  return TARGETS.map((target) => {
    const verdict = target.evaluate(rows);
    if (verdict === undefined) return { label: target.label, detail: 'not measured in this run' };
    return { label: target.label, pass: verdict.pass, detail: verdict.detail };
  });
}

function ratios(row: Row, rows: ReadonlyMap<string, Row>): string {
  const parts: string[] = [];
  for (const { productId, referenceId } of COMPARISONS) {
    if (productId !== row.id) continue;
    const reference = rows.get(referenceId);
    const value = row.summary?.median;
    const base = reference?.summary?.median;
    if (value === undefined || base === undefined || base === 0) continue;
    parts.push(`${(value / base).toFixed(2)}× ${reference!.label.split(',')[0]}`);
  }
  return parts.join('; ');
}

function figureLine(row: Row, rows: ReadonlyMap<string, Row>): string {
  if (row.summary === undefined)
    return `| ${row.label} | ${row.missing ?? 'not measured'} | | | | |`;
  const { median, min, max, runs } = row.summary;
  const extra = [ratios(row, rows), row.note].filter((part) => part).join('; ');
  return `| ${row.label} | **${formatNumber(median)}** ${row.unit} | ${formatNumber(min)} | ${formatNumber(max)} | ${runs} | ${extra} |`;
}

function sectionTables(rows: ReadonlyMap<string, Row>): string[] {
  const sections = new Map<string, Row[]>();
  for (const row of rows.values())
    sections.set(row.section, [...(sections.get(row.section) ?? []), row]);
  const lines: string[] = [];
  for (const [section, sectionRows] of sections) {
    lines.push(
      `### ${section}`,
      '',
      '| Figure | Median | Min | Max | Runs | Ratios and notes |',
      '|---|---|---|---|---|---|',
    );
    for (const row of sectionRows) lines.push(figureLine(row, rows));
    lines.push('');
  }
  return lines;
}

function targetTable(report: RunReport): string[] {
  const lines = ['| Target | Result | Verdict |', '|---|---|---|'];
  for (const verdict of report.verdicts) {
    const mark = verdict.pass === undefined ? 'n/a' : verdict.pass ? 'PASS' : '**MISS**';
    lines.push(`| ${verdict.label} | ${verdict.detail} | ${mark} |`);
  }
  return lines;
}

function profileSection(report: RunReport): string[] {
  if (report.profiles.length === 0) return [];
  const lines = ['## CPU profiles of missed targets', ''];
  lines.push(
    'Each scenario that owns a missed target ran once more with `node --cpu-prof` on the server or CLI process. The tables list the top frames by self time on the main thread.',
    '',
  );
  for (const { scenario, frames } of report.profiles) {
    lines.push(`### ${scenario}`, '', '| Self % | Frame |', '|---|---|');
    for (const frame of frames)
      lines.push(`| ${frame.selfPercent.toFixed(1)} | \`${frame.frame}\` |`);
    lines.push('');
  }
  return lines;
}

function header(report: RunReport): string[] {
  const { machine, settings } = report;
  const sizes = `${settings.smallUploads} small uploads, a ${settings.treeFiles.toLocaleString('en-US')}-file tree, a ${settings.finalizeFiles.toLocaleString('en-US')}-file finalize`;
  const mode =
    settings.mode === 'quick'
      ? `quick mode (\`npm run bench -- --quick\`): ${settings.runs} measured runs per figure after one warm-up, ${sizes}; full mode uses 5 runs, 1,000 small uploads, 10,000 files, a 100,000-file finalize and 1,000,000 replayed events`
      : `full mode (\`npm run bench -- --full\`): ${settings.runs} measured runs per figure after one warm-up, ${sizes}`;
  const tools = Object.entries(report.tools).map(
    ([name, status]) => `${name}: ${status.available ? status.version : status.reason}`,
  );
  return [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (bench/run.ts) from one run on one machine; every ratio compares figures of that same run. Each figure is the median of the measured runs, with min and max. MB = 10^6 bytes.',
    '',
    `- Run: ${machine.date}, ${mode}.`,
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB memory, ${machine.kernel}.`,
    `- Disk: ${machine.disk}.`,
    `- Node ${machine.node}; product started as ${report.productRuntime}.`,
    `- Peers: ${tools.join('; ')}.`,
    '',
  ];
}

/** Renders a run as the markdown of docs/benchmarks.md; appends bench/analysis.md when present. */
export function renderMarkdown(report: RunReport, analysisPath: string): string {
  const rows = new Map(report.rows.map((row) => [row.id, row]));
  const lines = [
    ...header(report),
    '## Targets',
    '',
    ...targetTable(report),
    '',
    '## Figures',
    '',
    ...sectionTables(rows),
  ];
  if (report.failures.length > 0) {
    lines.push(
      '## Scenarios that failed',
      '',
      ...report.failures.map((failure) => `- ${failure}`),
      '',
    );
  }
  lines.push(...profileSection(report));
  if (existsSync(analysisPath)) lines.push(readFileSync(analysisPath, 'utf8').trim(), '');
  return `${lines.join('\n')}\n`;
}
