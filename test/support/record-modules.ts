// Preload (`--import`) that lists every module a process loads, one per line, in the file that
// RECORD_MODULES_FILE names. ES modules are recorded by a resolve hook, with the module that
// imported them. CommonJS modules are recorded at exit from the `require` cache, which also
// contains the CommonJS packages that ES modules import. Load it after tsx so that the hook module
// itself may be TypeScript.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const output = process.env.RECORD_MODULES_FILE;
if (output) {
  register(new URL('./record-modules-hooks.ts', import.meta.url), { data: { output } });
  const cache = createRequire(import.meta.url).cache;
  process.on('exit', () => {
    const lines = Object.keys(cache).map((path) => `${pathToFileURL(path).href}\t\n`);
    appendFileSync(output, lines.join(''));
  });
}
