// The monitor script is (re)written into the state directory only when it differs, so running
// monitors keep their already-open copy and a new qvmctl version installs its own atomically.
// A monitor.sh that is a symbolic link is never up to date: its target could change under it, so
// it is replaced (the rename replaces the link, never what it points to).
import { lstat, readFile } from 'node:fs/promises';
import { MONITOR_SCRIPT } from './monitor-script.js';

export async function monitorScriptUpToDate(path: string): Promise<boolean> {
  const info = await lstat(path).catch(() => undefined);
  if (info === undefined || !info.isFile()) return false;
  const current = await readFile(path, 'utf8').catch(() => undefined);
  return current === MONITOR_SCRIPT;
}
