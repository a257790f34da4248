// The words for stop-ladder steps, shared by apply, one-off stops and the host shutdown.

import type { StopStep } from '../runtime/port.js';

export function describeStep(step: StopStep | 'already-gone'): string {
  switch (step) {
    case 'guest-command': return 'the guest shutdown command';
    case 'power-button': return 'the power button (SIGTERM)';
    case 'power-cut': return 'the power cut (SIGQUIT)';
    case 'already-gone': return 'itself before any step';
  }
}

/** Why a stuck guest still runs: after which step, or that no step applied (docs/shutdown.md). */
export function describeStuck(lastStep: StopStep | 'none'): string {
  if (lastStep === 'none') return 'stuck: no step may stop it (no guest shutdown command, a power button that is not graceful, no power cut allowed): still running';
  return `stuck after ${describeStep(lastStep)}: still running`;
}
