// The monitor script is (re)written into the state directory only when it differs, so running
// monitors keep their already-open copy and a new qvmctl version installs its own atomically.
import { readFile } from 'node:fs/promises';
import { MONITOR_SCRIPT } from './monitor-script.js';

export async function monitorScriptUpToDate(path: string): Promise<boolean> {
  const current = await readFile(path, 'utf8').catch(() => undefined);
  return current === MONITOR_SCRIPT;
}
