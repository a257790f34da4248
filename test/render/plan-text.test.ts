import { describe, expect, it } from 'vitest';
import { createPlan } from '../../src/planner/create-plan.js';
import { renderPlanJson } from '../../src/render/plan-json.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import { desired, exit, guest, history, NOW, planInput, running } from '../planner/fixtures.js';

const fleet = [
  guest('svc'),
  guest('cluster', { dependsOn: ['svc'] }),
  guest('ivi', { dependsOn: ['svc'], configHash: '9c4101ff' }),
  guest('old', { state: 'stopped' }),
  guest('hud'),
];
const plan = createPlan(planInput({
  desired: desired(fleet),
  running: [running('ivi', { configHash: '3f2a1cee' }), running('old'), running('hud')],
  histories: new Map([['hud', history('hud')]]),
}));
const held = createPlan(planInput({
  desired: desired([guest('a')]),
  histories: new Map([['a', history('a', { failures: [NOW], lastExit: exit('a', { code: 96, at: NOW }) })]]),
}));

describe('renderPlanText', () => {
  it('renders changes, waves and the summary', () => {
    expect(renderPlanText(plan, { color: false })).toBe([
      '+ start cluster (not-running)',
      '~ restart ivi (config-changed: hash 3f2a1c → 9c4101)',
      '- stop old (desired-stopped)',
      '+ start svc (not-running)',
      '',
      'wave 1 (stop): ivi, old',
      'wave 2 (start): svc',
      'wave 3 (start): cluster, ivi',
      '',
      'Plan: 2 to start, 1 to restart, 1 to stop.',
      '',
    ].join('\n'));
  });

  it('renders holds with their expiry', () => {
    expect(renderPlanText(held, { color: false })).toBe([
      `! hold a (backoff: failed (exit 96), failure 1; backing off 1000 ms, until ${new Date(NOW + 1_000).toISOString()})`,
      '',
      'No changes now. 1 held.',
      '',
    ].join('\n'));
  });

  it('says so when nothing is to do', () => {
    const none = createPlan(planInput({ desired: desired([guest('a')]), running: [running('a')] }));
    expect(renderPlanText(none, { color: true })).toBe('No changes. The host matches the manifests.\n');
  });

  it('colours only when asked', () => {
    expect(renderPlanText(plan, { color: false })).not.toContain('\u001b[');
    const coloured = renderPlanText(plan, { color: true });
    expect(coloured).toContain('\u001b[32m+ start\u001b[0m svc');
    expect(coloured).toContain('\u001b[33m~ restart\u001b[0m ivi');
    expect(coloured).toContain('\u001b[31m- stop\u001b[0m old');
  });
});

describe('renderPlanJson', () => {
  it('gives changes with their edges, holds and waves', () => {
    const json = JSON.parse(renderPlanJson(plan)) as Record<string, unknown>;
    expect(json).toMatchObject({
      changes: expect.arrayContaining([
        { guest: 'cluster', action: 'start', reason: 'not-running', detail: 'not running', after: ['svc'], stopAfter: [], startAfter: ['svc'] },
      ]) as unknown,
      holds: [],
      waves: [{ action: 'stop', guests: ['ivi', 'old'] }, { action: 'start', guests: ['svc'] }, { action: 'start', guests: ['cluster', 'ivi'] }],
      requeueAt: null,
    });
    expect(JSON.parse(renderPlanJson(held))).toMatchObject({ holds: [{ guest: 'a', reason: 'backoff', until: NOW + 1_000 }], requeueAt: NOW + 1_000 });
  });
});
