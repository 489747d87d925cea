import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FsyncRounds } from './fsync-rounds.js';

/** A sync function whose calls are recorded and finish only when released. */
function gatedSync() {
  const calls: string[] = [];
  const gates: Array<() => void> = [];
  const failing = new Set<string>();
  const syncPath = (path: string) =>
    new Promise<void>((resolve, reject) => {
      calls.push(path);
      gates.push(() => (failing.has(path) ? reject(new Error(`fsync ${path} failed`)) : resolve()));
    });
  const releaseAll = () => {
    for (const release of gates.splice(0)) release();
  };
  return { calls, failing, syncPath, releaseAll };
}

async function flushMicrotasks(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

describe('FsyncRounds', () => {
  it('syncs each path of a round once', async () => {
    const gate = gatedSync();
    const rounds = new FsyncRounds(gate.syncPath);
    const first = rounds.sync(['/a']);
    await flushMicrotasks();
    const second = rounds.sync(['/b', '/c']);
    const third = rounds.sync(['/b']);
    gate.releaseAll();
    await first;
    await flushMicrotasks();
    assert.deepEqual(gate.calls, ['/a', '/b', '/c']);
    gate.releaseAll();
    await Promise.all([second, third]);
    assert.equal(gate.calls.length, 3);
  });

  it('starts a requested fsync only after the running round', async () => {
    const gate = gatedSync();
    const rounds = new FsyncRounds(gate.syncPath);
    const first = rounds.sync(['/dir']);
    await flushMicrotasks();
    const second = rounds.sync(['/dir']);
    let secondDone = false;
    void second.then(() => {
      secondDone = true;
    });
    await flushMicrotasks();
    assert.deepEqual(gate.calls, ['/dir'], 'the second request waits for the running round');
    gate.releaseAll();
    await first;
    await flushMicrotasks();
    assert.deepEqual(gate.calls, ['/dir', '/dir'], 'the second request gets its own fsync');
    assert.equal(secondDone, false);
    gate.releaseAll();
    await second;
  });

  it('fails only the callers of a failed path', async () => {
    const gate = gatedSync();
    gate.failing.add('/bad');
    const rounds = new FsyncRounds(gate.syncPath);
    const blocker = rounds.sync(['/first']);
    await flushMicrotasks();
    const bad = rounds.sync(['/bad', '/good']);
    const good = rounds.sync(['/good']);
    gate.releaseAll();
    await blocker;
    await flushMicrotasks();
    gate.releaseAll();
    await assert.rejects(bad, /fsync \/bad failed/);
    await good;
  });

  it('settle waits for a queued fsync of the path', async () => {
    const gate = gatedSync();
    const rounds = new FsyncRounds(gate.syncPath);
    const pending = rounds.sync(['/dir']);
    let settled = false;
    const settling = rounds.settle('/dir').then(() => {
      settled = true;
    });
    await flushMicrotasks();
    assert.equal(settled, false);
    gate.releaseAll();
    await pending;
    await settling;
    assert.equal(settled, true);
    await rounds.settle('/other');
  });
});
