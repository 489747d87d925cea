import { dirname } from 'node:path';

/**
 * Returns the directories whose entries `mkdir(leaf, { recursive: true })` changed when it
 * created `firstCreated` and everything below it: the parent of `firstCreated` down to the
 * parent of `leaf`. Fsyncing them, and `leaf` once a file is linked into it, makes the new path
 * durable.
 */
export function changedParents(firstCreated: string, leaf: string): string[] {
  const stop = dirname(firstCreated);
  const chain: string[] = [];
  for (let dir = dirname(leaf); ; dir = dirname(dir)) {
    chain.push(dir);
    if (dir === stop || dir === dirname(dir)) break;
  }
  return chain.reverse();
}
