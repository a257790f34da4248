// A plan saved by `qvmctl plan --out` and applied later by `qvmctl apply FILE`. Like terraform, a
// saved plan is refused when the manifests or the observed processes changed since it was made.

import { createHash } from 'node:crypto';
import type { Observation } from '../model/observed.js';
import { fileProblem } from '../runtime/file-schemas.js';
import type { Plan } from '../model/plan.js';

export const SAVED_PLAN_FORMAT = 'qvmctl-plan/v1';

export interface SavedPlan {
  readonly format: typeof SAVED_PLAN_FORMAT;
  readonly createdAt: number;
  /** Fingerprint of every manifest input (`LoadResult.fingerprint`). */
  readonly manifests: string;
  /** Fingerprint of the observed processes (see fingerprintObservation). */
  readonly observed: string;
  readonly plan: Plan;
}

export class StalePlanError extends Error {
  override readonly name = 'StalePlanError';
}

export class InvalidPlanFileError extends Error {
  override readonly name = 'InvalidPlanFileError';
}

// Which qvm processes run, as which guest and config: the part of the world a plan was made from.
export function fingerprintObservation(observation: Pick<Observation, 'guests' | 'unmanaged'>): string {
  const lines = [
    ...observation.guests.map((g) => `guest ${g.name} ${g.pid} ${g.processStart} ${g.configHash}`),
    ...observation.unmanaged.map((p) => `unmanaged ${p.pid} ${p.processStart}`),
  ].sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

export function parseSavedPlan(text: string, file: string): SavedPlan {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidPlanFileError(`${file} is not a saved plan (not JSON)`, { cause: error });
  }
  // Checked in full (schemas/files/saved-plan.schema.json): apply runs what it holds.
  const format = typeof value === 'object' && value !== null ? (value as { format?: unknown }).format : undefined;
  const refusal = `${file} is not a saved plan of this qvmctl (expected format ${SAVED_PLAN_FORMAT})`;
  if (format !== SAVED_PLAN_FORMAT) throw new InvalidPlanFileError(refusal);
  const problem = fileProblem('savedPlan', value);
  if (problem !== undefined) throw new InvalidPlanFileError(`${refusal}: ${problem}`);
  return value as SavedPlan;
}

// Throws StalePlanError naming what changed.
export function assertPlanCurrent(saved: SavedPlan, current: { readonly manifests: string; readonly observed: string }): void {
  const changed = [
    ...(saved.manifests === current.manifests ? [] : ['the manifests']),
    ...(saved.observed === current.observed ? [] : ['the running qvm processes']),
  ];
  if (changed.length > 0) {
    throw new StalePlanError(`the saved plan is stale: ${changed.join(' and ')} changed since it was made; run \`qvmctl plan\` again`);
  }
}
