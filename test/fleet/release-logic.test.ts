// The pure parts of the release phases: the record's transitions and what status says of each phase,
// the desired state of a release (what it drops is stopped), and the verify check.
import { describe, expect, it } from 'vitest';
import type { Observation, ObservedGuest } from '../../src/model/observed.js';
import type { Plan } from '../../src/model/plan.js';
import { checkRelease, releaseTarget } from '../../src/release/converge.js';
import { committed, describeRecord, EMPTY_RECORD, isCommitted, parseRecord, formatRecord, ReleaseRecordError, rolledBack, type ReleaseRecord, type ReleaseRef } from '../../src/release/record.js';
import { desired, guest } from '../planner/fixtures.js';

const A: ReleaseRef = { digest: `sha256:${'a'.repeat(64)}`, revision: { commit: '1'.repeat(40), dirty: false }, preparedAt: 1 };
const B: ReleaseRef = { digest: `sha256:${'b'.repeat(64)}`, revision: { commit: '2'.repeat(40), dirty: true }, preparedAt: 2 };

describe('the release record', () => {
  it('says for each phase which release the host runs and whether it is committed', () => {
    const base: ReleaseRecord = { ...EMPTY_RECORD, current: A, applied: A.digest, phase: 'committed' };
    const lines = (['prepared', 'applying', 'applied', 'verified', 'rolling-back'] as const).map((phase) => {
      const r: ReleaseRecord = { ...base, staged: B, phase, applied: phase === 'prepared' || phase === 'rolling-back' ? A.digest : B.digest };
      return [phase, describeRecord(r), isCommitted(r)];
    });
    expect(describeRecord(EMPTY_RECORD)).toBe('release: none applied yet');
    expect(describeRecord(base)).toBe('release aaaaaaaaaaaa (git 111111111111) applied, committed');
    expect(lines).toEqual([
      ['prepared', 'release aaaaaaaaaaaa (git 111111111111) applied, committed; bbbbbbbbbbbb (git 222222222222+dirty) is prepared (not applied)', true],
      ['applying', 'release bbbbbbbbbbbb (git 222222222222+dirty) applied in part, NOT committed (apply did not finish: run it again, or roll back); committed: aaaaaaaaaaaa (git 111111111111)', false],
      ['applied', 'release bbbbbbbbbbbb (git 222222222222+dirty) applied, NOT committed (not verified yet); committed: aaaaaaaaaaaa (git 111111111111)', false],
      ['verified', 'release bbbbbbbbbbbb (git 222222222222+dirty) applied and verified, NOT committed; committed: aaaaaaaaaaaa (git 111111111111)', false],
      ['rolling-back', 'release bbbbbbbbbbbb (git 222222222222+dirty) being rolled back, NOT committed (rollback did not finish: run it again); committed: aaaaaaaaaaaa (git 111111111111)', false],
    ]);
  });

  it('commits the staged release, and rolls one back to the current, keeping a bounded history', () => {
    const staged: ReleaseRecord = { ...EMPTY_RECORD, current: A, staged: B, applied: B.digest, phase: 'verified' };
    const c = committed(staged, 10);
    expect(c).toMatchObject({ current: B, staged: null, applied: B.digest, phase: 'committed' });
    expect(c.history).toEqual([{ digest: B.digest, revision: B.revision, result: 'committed', at: 10 }]);
    const r = rolledBack({ ...staged, phase: 'rolling-back', applied: A.digest }, 11);
    expect(r).toMatchObject({ current: A, staged: null, applied: A.digest, phase: 'rolled-back' });
    expect(describeRecord(r)).toBe('release aaaaaaaaaaaa (git 111111111111) applied, committed; bbbbbbbbbbbb (git 222222222222+dirty) was rolled back');
    // With nothing committed, the host stays on what it runs, and that is not committed.
    const first = rolledBack({ ...EMPTY_RECORD, staged: B, applied: B.digest, phase: 'applied' }, 12);
    expect(first).toMatchObject({ applied: B.digest, staged: null, phase: 'rolled-back' });
    expect(isCommitted(first)).toBe(false);
    expect(describeRecord(first)).toBe('release bbbbbbbbbbbb (git 222222222222+dirty) applied, NOT committed (rolled back with no committed release to return to)');
    let many: ReleaseRecord = staged;
    for (let i = 0; i < 30; i += 1) many = committed({ ...many, staged: B }, i);
    expect(many.history).toHaveLength(20);
  });

  it('round-trips, and refuses a record it cannot understand with one line', () => {
    const r: ReleaseRecord = { ...EMPTY_RECORD, current: A, applied: A.digest, phase: 'committed' };
    expect(parseRecord(formatRecord(r), 'x')).toEqual(r);
    expect(() => parseRecord('{', '/r/release.json')).toThrow(new ReleaseRecordError('the release record /r/release.json is not JSON; restore it or remove the release directory to start again'));
    expect(() => parseRecord('{"format":"qvmctl-release/1","phase":"sideways"}', 'x')).toThrow(/has no valid phase/);
    expect(() => parseRecord('{"format":"qvmctl-release/1","phase":"committed","current":{"digest":"sha256:zz"}}', 'x')).toThrow(/without a valid digest/);
  });
});

describe('a release\'s desired state', () => {
  it('stops what the release drops, with its own shutdown, and keeps what it has', () => {
    const next = desired([guest('svc'), guest('app', { dependsOn: ['svc'] })]);
    const previous = desired([guest('svc', { configHash: 'old' }), guest('old', { dependsOn: ['svc'], shutdown: { ...guest('old').shutdown, powerButtonTimeoutMs: 7 } })]);
    const target = releaseTarget(next, [previous, undefined]);
    expect(target.guests.map((g) => [g.name, g.state, g.configHash])).toEqual([['app', 'running', guest('app').configHash], ['old', 'stopped', guest('old').configHash], ['svc', 'running', guest('svc').configHash]]);
    expect(target.guests.find((g) => g.name === 'old')?.shutdown.powerButtonTimeoutMs).toBe(7);
    expect(target.host).toBe(next.host);
  });
});

describe('the verify check', () => {
  const spec = guest('svc', { configHash: 'new' });
  const plan: Plan = { changes: [], holds: [], waves: [], stopWaveCount: 0, requeueAt: undefined };
  const observed = (o: Partial<ObservedGuest>): Observation => ({ guests: [{ name: 'svc', pid: 10, processStart: '1', configHash: 'new', startedAt: 0, ready: true, stopping: false, ...o }], unmanaged: [], exits: [] });
  const check = (observation: Observation, seen = new Map<string, number>(), now = 10_000) =>
    checkRelease({ desired: desired([spec]), observation, histories: new Map(), plan, seen, now, stableMs: 5_000 });

  it('is done once every guest is ready and has run long enough', () => {
    expect(check(observed({}))).toEqual({ done: true, failed: [], waiting: [] });
    expect(check(observed({ startedAt: 8_000 })).waiting).toEqual(['svc has run 2.0 s of 5.0 s']);
    expect(check(observed({ ready: false })).waiting).toEqual(['svc is not ready yet']);
  });

  it('fails at once for what waiting cannot mend: gone, restarted, another configuration', () => {
    expect(check({ guests: [], unmanaged: [], exits: [] }).failed).toEqual(['svc is not running']);
    expect(check(observed({ configHash: 'old' })).failed).toEqual(['svc runs another configuration than this release\'s']);
    expect(check(observed({ pid: 11 }), new Map([['svc', 10]])).failed).toEqual(['svc exited during verification and runs again as pid 11 (was 10)']);
  });
});
