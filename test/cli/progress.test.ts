import { describe, expect, it } from 'vitest';
import type { ExecutionResult, StepResult } from '../../src/executor/execute-plan.js';
import type { Plan } from '../../src/model/plan.js';
import { summarizeExecution } from '../../src/cli/progress.js';

const plan = (holds = 0): Plan => ({
  changes: [],
  holds: Array.from({ length: holds }, (_, i) => ({ guest: `g${i}`, reason: 'fenced', detail: '', until: undefined })),
  waves: [],
  stopWaveCount: 0,
  requeueAt: undefined,
});
const step = (guest: string, kind: StepResult['kind'], status: StepResult['status']): StepResult =>
  ({ guest, kind, status, detail: '', stop: undefined, started: undefined, elapsedMs: undefined });
const result = (steps: StepResult[], failed: string[] = [], stuck: string[] = []): ExecutionResult =>
  ({ steps, failed, stuck, ok: failed.length === 0 && steps.every((s) => s.status === 'done') });

describe('summarizeExecution', () => {
  it('says the host matches only when nothing is held', () => {
    expect(summarizeExecution(plan(), result([]))).toBe('Nothing to do. The host matches the manifests.');
    expect(summarizeExecution(plan(5), result([]))).toBe('Nothing to do now: 5 held (see above).');
  });

  it('counts restarts apart from starts and stops', () => {
    const steps = [step('a', 'stop', 'done'), step('a', 'start', 'done'), step('b', 'start', 'done'), step('c', 'stop', 'done')];
    expect(summarizeExecution(plan(), result(steps))).toBe('Apply complete: 1 started, 1 restarted, 1 stopped.');
  });

  it('names failed, stuck and skipped guests', () => {
    const steps = [step('a', 'stop', 'failed'), step('b', 'stop', 'skipped'), step('c', 'start', 'failed')];
    expect(summarizeExecution(plan(), result(steps, ['a', 'c'], ['a'])))
      .toBe('Apply incomplete (0 started, 0 restarted, 0 stopped). Failed: c. Stuck, still running (act by hand): a. Skipped: stop b.');
  });
});
