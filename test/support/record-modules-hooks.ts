// Module hooks of record-modules.ts: appends `URL<TAB>parent URL` for every module resolved.
// They run on the hooks thread, so they write to the file directly.
import { appendFileSync } from 'node:fs';
import type { InitializeHook, ResolveHook } from 'node:module';

let output = '';

export const initialize: InitializeHook<{ output: string }> = (data) => {
  output = data.output;
};

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  const resolved = await nextResolve(specifier, context);
  appendFileSync(output, `${resolved.url}\t${context.parentURL ?? ''}\n`);
  return resolved;
};
