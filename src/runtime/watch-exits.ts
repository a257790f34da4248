// The local adapter's exit trigger: a watch on the monitors' exit records
// (`guests/<name>/run-<id>.exit.json`, renamed into place). What changed is never passed on.
// chokidar is loaded only by the daemon, the one caller: short commands never pay for it.

import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Watcher } from './port.js';

export function watchLocalExitRecords(options: { readonly stateDir: string; readonly onChange: () => void; readonly onError: (error: unknown) => void }): Watcher {
  const guests = join(options.stateDir, 'guests');
  // The directory must exist to be watched: a daemon may start before the first guest ever did.
  const watching = mkdir(guests, { recursive: true, mode: 0o700 }).then(() => import('chokidar')).then(({ watch }) => {
    const watcher = watch(guests, {
      ignoreInitial: true,
      depth: 1,
      ignored: (path, stats) => path !== guests && stats?.isFile() === true && !basename(path).endsWith('.exit.json'),
    });
    watcher.on('add', (path) => {
      if (basename(path).endsWith('.exit.json')) options.onChange();
    });
    watcher.on('error', (error) => { options.onError(error); });
    return watcher;
  });
  watching.catch(options.onError);
  return { close: async () => { await (await watching.catch(() => undefined))?.close(); } };
}
