import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One function and the share of sampled time spent in it, excluding callees. */
export interface TopFrame {
  frame: string;
  selfPercent: number;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^file:\/\//, '').replace(/^.*node_modules\//, '');
  const where = file === '' ? '' : ` ${file.replace(/^.*\/work\/main\//, '')}:${lineNumber + 1}`;
  return `${functionName || '(anonymous)'}${where}`;
}

/** Sums self time per frame over every `.cpuprofile` in `dir` and returns the top `count`. */
export function summarizeProfiles(dir: string, count = 12): TopFrame[] {
  const selfTime = new Map<string, number>();
  let total = 0;
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    profile.samples.forEach((id, index) => {
      const delta = profile.timeDeltas[index] ?? 0;
      const name = frameName(byId.get(id)!);
      selfTime.set(name, (selfTime.get(name) ?? 0) + delta);
      total += delta;
    });
  }
  return [...selfTime.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([frame, time]) => ({ frame, selfPercent: (100 * time) / Math.max(total, 1) }));
}

/** Summarises `dir` and each subdirectory that contains profiles, labelled by its name. */
export function summarizeProfileTree(
  dir: string,
  label: string,
): Array<{ scenario: string; frames: TopFrame[] }> {
  const found: Array<{ scenario: string; frames: TopFrame[] }> = [];
  const hasProfiles = (path: string) => readdirSync(path).some((n) => n.endsWith('.cpuprofile'));
  if (hasProfiles(dir)) found.push({ scenario: label, frames: summarizeProfiles(dir) });
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && hasProfiles(path)) {
      found.push({ scenario: `${label}: ${entry.name}`, frames: summarizeProfiles(path) });
    }
  }
  return found;
}
