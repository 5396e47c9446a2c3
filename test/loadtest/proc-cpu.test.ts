/** CPU read from /proc/<pid>/stat: the fields after a command name that may hold spaces and parentheses. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { parseProcStat, sampleProcStat } from '../../loadtest/proc-cpu.js';

// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ...
const LINE = '4242 (node (shard) 1) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 7 3 20 0 11 0 100 1000000 5000 18446744073709551615';

describe('proc-cpu: /proc/<pid>/stat', () => {
  it('reads utime+stime and cutime+cstime in seconds (USER_HZ 100)', () => {
    assert.deepEqual(parseProcStat(LINE), { ownSeconds: 3, childrenSeconds: 0.1 });
  });

  it('refuses a line that is not one', () => {
    assert.throws(() => parseProcStat('4242 (node) S 1 2'), /not a \/proc\/<pid>\/stat line/);
  });

  it('samples a live process, counts its CPU, and its children once waited for; a gone process reads undefined', { skip: process.platform !== 'linux' }, () => {
    const before = sampleProcStat('self')!;
    const until = Date.now() + 150;
    while (Date.now() < until); // CPU of our own, so the tick counter moves
    execFileSync(process.execPath, ['-e', 'const t = Date.now() + 150; while (Date.now() < t);']);
    const after = sampleProcStat('self')!;
    assert.ok(after.ownSeconds > before.ownSeconds, JSON.stringify({ before, after }));
    assert.ok(after.childrenSeconds > before.childrenSeconds, JSON.stringify({ before, after }));
    assert.equal(sampleProcStat(2 ** 22 + 1), undefined);
  });
});
