// Runs every *.test.ts file under src/ and test/ with Node's test runner.
// Node 20's `--test` does not expand globs, so the file list is built here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  const found = [];
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) found.push(...findTests(full));
    else if (entry.endsWith('.test.ts')) found.push(full);
  }
  return found;
}

const filter = process.argv.slice(2);
let files = ['src', 'test'].flatMap((dir) => findTests(dir)).sort();
if (filter.length > 0) files = files.filter((file) => filter.some((part) => file.includes(part)));
if (files.length === 0) {
  console.error(`no test files matched ${filter.join(' ')}`);
  process.exit(1);
}

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=tap', '--test-concurrency=2', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
