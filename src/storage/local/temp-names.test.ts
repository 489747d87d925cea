import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { setTimeout } from 'node:timers/promises';
import { ABANDONED_TEMP_AGE_MS, isAbandonedTemp, newTempName } from './temp-names.js';

const HOST = encodeURIComponent(hostname());

function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2);
  } catch {
    return undefined;
  }
}

describe('isAbandonedTemp', () => {
  it('keeps files of this process', () => {
    assert.equal(isAbandonedTemp(newTempName(), Date.now()), false);
  });

  it('keeps recent files of another host', () => {
    assert.equal(isAbandonedTemp('other-host~1~x.part', Date.now()), false);
  });

  it('drops files older than the limit', () => {
    const old = Date.now() - 2 * ABANDONED_TEMP_AGE_MS;
    assert.equal(isAbandonedTemp('other-host~1~x.part', old), true);
  });

  it('drops files of an unreaped dead process', {
    skip: !existsSync('/proc/self/stat'),
  }, async () => {
    // The inner shell exits at once, and its parent becomes `sleep` through exec, which never
    // reaps it, so it stays a zombie until `sleep` ends.
    // `sleep` gets no stdout, so the first line ends the read.
    const parent = spawn('sh', ['-c', "sh -c 'echo $$' & exec sleep 30 >/dev/null"], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const [line] = await once(createInterface({ input: parent.stdout }), 'line');
      const pid = Number(String(line).trim());
      assert.ok(Number.isSafeInteger(pid), `no pid in ${JSON.stringify(line)}`);
      assert.ok(pid > 0, `no pid in ${JSON.stringify(line)}`);
      for (let tries = 0; tries < 100 && procState(pid) !== 'Z'; tries++) await setTimeout(20);
      assert.equal(procState(pid), 'Z', `process ${pid} did not become a zombie`);
      assert.equal(isAbandonedTemp(`${HOST}~${pid}~x.part`, Date.now()), true);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
