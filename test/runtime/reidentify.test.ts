// A qvm whose identity is lost is told by the config path it was launched with (docs/runtime.md, "Lost state").
import { describe, expect, it } from 'vitest';
import type { ProcessEntry } from '../../src/runtime/proc-table/types.js';
import { guestNamesOfQvm, launchedConfOf, reidentify } from '../../src/runtime/reidentify.js';
import { createStateLayout } from '../../src/runtime/state/layout.js';

const layout = createStateLayout('/var/qvmctl');
const qvm = (pid: number, conf: string): ProcessEntry => ({ pid, start: `s${pid}`, zombie: false, argv: ['/usr/bin/qvm', `@${conf}`] });
const monitorOf = (p: ProcessEntry, runId: string): string[] => ['/bin/sh', layout.monitorScript, layout.guestDir('ivi'), runId, ...p.argv];

describe('identifying a qvm again by its config path', () => {
  const a = qvm(30, '/var/qvmctl/guests/ivi/0123abcd.qvmconf');
  const b = qvm(20, '/var/qvmctl/guests/ivi/feedbeef.qvmconf'); // an older run, of an older config

  it('reads guest and config hash only from a config file of this state directory', () => {
    expect(launchedConfOf(layout, a.argv)).toEqual({ name: 'ivi', configHash: '0123abcd' });
    expect(launchedConfOf(layout, ['qvm', '@/var/qvmctl/guests/../x/0.qvmconf'])).toBeUndefined();
    expect(launchedConfOf(layout, ['qvm', '@/var/qvmctl/guests/ivi/sub/0.qvmconf'])).toBeUndefined();
    expect(launchedConfOf(layout, ['qvm', '@/etc/ivi.qvmconf'])).toBeUndefined();
    expect(guestNamesOfQvm(layout, [a, b, qvm(5, '/etc/x.qvmconf')])).toEqual(['ivi']);
  });

  it('prefers the qvm whose monitor runs, else the lowest PID, which then runs unwatched', () => {
    const watched = reidentify({ layout, name: 'ivi', qvms: [a, b], monitorArgvs: [monitorOf(a, '1-ab')], explained: new Set(), now: 7 });
    expect(watched).toEqual({ runId: '1-ab', guest: { name: 'ivi', pid: 30, processStart: 's30', configHash: '0123abcd', startedAt: 7, ready: false, stopping: false } });
    const unwatched = reidentify({ layout, name: 'ivi', qvms: [a, b], monitorArgvs: [], explained: new Set(), now: 7 });
    expect(unwatched?.guest).toMatchObject({ pid: 20, monitorLost: true });
    expect(reidentify({ layout, name: 'ivi', qvms: [a, b], monitorArgvs: [], explained: new Set([20, 30]), now: 7 })).toBeUndefined();
  });
});
