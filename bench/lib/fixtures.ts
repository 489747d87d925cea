import { randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const CHUNK = 8 * 1024 * 1024;

/** Writes `bytes` random bytes to `path`, 8 MiB at a time. */
export function writeRandomFile(path: string, bytes: number): void {
  const chunk = Buffer.alloc(CHUNK);
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < bytes; written += CHUNK) {
      randomFillSync(chunk);
      writeSync(fd, chunk, 0, Math.min(CHUNK, bytes - written));
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Overwrites the first 32 bytes of `path` with a run-specific stamp, so every run uploads
 * content that no content-addressed store has seen before and none can skip the write.
 */
export function stampFile(path: string, label: string): void {
  const stamp = Buffer.alloc(32);
  stamp.write(`${label}:${process.hrtime.bigint()}`.slice(0, 32));
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, stamp, 0, stamp.length, 0);
  } finally {
    closeSync(fd);
  }
}

/** Small deterministic generator (mulberry32), so the same seed always yields the same tree. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Layout of a generated file tree. */
export interface TreeInfo {
  files: number;
  bytes: number;
}

/**
 * Writes `count` files of 1–8 KiB of pseudo-random bytes from `seed`, 100 per directory, under
 * `root`. The same arguments always produce byte-identical trees.
 */
export function writeFileTree(root: string, count: number, seed: number): TreeInfo {
  const random = seededRandom(seed);
  let bytes = 0;
  for (let index = 0; index < count; index += 1) {
    const dir = join(root, `d${String(Math.floor(index / 100)).padStart(3, '0')}`);
    if (index % 100 === 0) mkdirSync(dir, { recursive: true });
    const size = 1024 + Math.floor(random() * 7 * 1024);
    const content = Buffer.alloc(size + 3);
    for (let offset = 0; offset < size; offset += 4) {
      content.writeUInt32LE(Math.floor(random() * 4294967296), offset);
    }
    writeFileSync(join(dir, `f${String(index).padStart(5, '0')}.bin`), content.subarray(0, size));
    bytes += size;
  }
  return { files: count, bytes };
}

/** Returns `count` distinct buffers of `size` bytes: random bytes with the index in front. */
export function distinctBuffers(count: number, size: number, label: string): Buffer[] {
  const buffers: Buffer[] = [];
  for (let index = 0; index < count; index += 1) {
    const buffer = randomFillSync(Buffer.alloc(size));
    buffer.write(`${label}-${index}-`);
    buffers.push(buffer);
  }
  return buffers;
}
