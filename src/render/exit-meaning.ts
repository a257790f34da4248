// What a qvm exit code means, in words (qnx-facts.md, "Exit codes").

import type { GuestSpec } from '../model/guest-spec.js';
import type { ExitRecord } from '../model/observed.js';

const MEANINGS: Readonly<Record<number, string>> = {
  0: 'guest shut down or rebooted',
  3: 'power cut',
  4: 'watchdog',
  5: 'unsupported operation',
  6: 'unexpected vdev error',
  7: 'unexpected error',
  64: 'fatal error before the guest started',
  65: 'configuration error',
  96: 'fatal error after the guest started',
};

export function describeExit(exit: ExitRecord, spec: GuestSpec | undefined): string {
  const requested = exit.requested ? ', requested by qvmctl' : '';
  if (exit.code === null) return `killed by ${exit.signal ?? 'a signal'}${requested}`;
  const mapped = exit.code >= 32 && exit.code <= 63 ? spec?.restart.exitCodes[exit.code] ?? 'user-defined' : undefined;
  return `${exit.code} (${mapped ?? MEANINGS[exit.code] ?? 'unknown code'}${requested})`;
}
