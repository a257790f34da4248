// Whether the daemon is ready (docs/daemon.md, "Health and readiness"): it has a valid desired state
// and its last pass completed. `GET /readyz` answers it, `qvmctl_ready` shows it. Liveness
// (`/healthz`) asks less: that the process still serves and acts.

import type { DaemonStatus } from './guest-status.js';

export interface Readiness {
  readonly ready: boolean;
  /** One line: why not (absent when ready). */
  readonly reason?: string;
}

export interface ReadinessInput {
  readonly stopping: boolean;
  /** Another daemon holds this host's daemon lock: this one acts no more. */
  readonly lockLost: boolean;
  /** A valid desired state has been loaded (it is kept while later loads are not valid). */
  readonly desiredLoaded: boolean;
  readonly status: Pick<DaemonStatus, 'manifestDir' | 'manifests' | 'lastPass' | 'host'>;
  /** The error of the last pass, when it threw. */
  readonly passError: string | undefined;
}

export function readinessOf(input: ReadinessInput): Readiness {
  const { status } = input;
  if (input.stopping) return notReady('the daemon is stopping');
  if (input.lockLost) return notReady('another qvmctl daemon holds this host\'s daemon lock: this one starts and stops nothing');
  if (!input.desiredLoaded) return notReady(`no valid manifests have been loaded: ${whyNoDesiredState(status)}`);
  const pass = status.lastPass;
  if (pass === undefined || pass.result === 'skipped') return notReady('no pass has completed yet');
  if (pass.result === 'unreachable') return notReady(`the last pass could not reach the host: ${status.host.error ?? status.host.where}`);
  if (pass.result === 'error') return notReady(`the last pass failed: ${input.passError ?? 'see qvmctl events'}`);
  // `failed`: the pass completed and a step of it failed; the guest's own series and events say which.
  return { ready: true };
}

function whyNoDesiredState(status: ReadinessInput['status']): string {
  const { manifests, manifestDir } = status;
  const unsettled = manifests.unsettled ?? [];
  if (unsettled.length > 0) return `waiting for ${unsettled.join(', ')} to settle`;
  switch (manifests.status) {
    case 'none': return 'none read yet';
    case 'invalid': return `the manifests in ${manifestDir} have ${manifests.errors} error${manifests.errors === 1 ? '' : 's'} (qvmctl validate -f ${manifestDir})`;
    case 'empty': return `${manifestDir} holds no manifests`;
    case 'unreadable': return `${manifestDir} cannot be read (see qvmctl events)`;
    case 'ok': return 'the last load has not been used yet';
  }
}

function notReady(reason: string): Readiness {
  return { ready: false, reason };
}
