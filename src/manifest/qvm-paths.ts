// The files a VM configuration names, checked where qvm will look for them (docs/manifests.md,
// "Paths"). qvm runs in the guest's working directory, so a relative path means a file there.

import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import type { HostSpec } from '../model/host-spec.js';
import type { QvmFileRef } from './qvm-config.js';

function label(ref: QvmFileRef): string {
  return ref.blobType === undefined ? `\`${ref.option}\`` : `\`${ref.blobType} ${ref.option}\``;
}

/**
 * On a local host with the real qvm: a `load` file that is missing is an error (qvm would end with
 * 65 at start, after the guest it replaces was stopped), a `dump` directory that is missing a
 * warning (it matters only when a dump is asked for, and may be made later). On an ssh host the
 * files are not on this machine: a relative path gets a warning, since it resolves against a
 * directory on the host. The simulator reads no guest images, so nothing is checked for it.
 */
export async function checkQvmPaths(refs: readonly QvmFileRef[], options: { host: HostSpec; workingDir: string }): Promise<Diagnostic[]> {
  const { host, workingDir } = options;
  if (host.qvm.kind === 'simulator') return [];
  const out: Diagnostic[] = [];
  for (const ref of refs) {
    const at = { file: ref.at.file, line: ref.at.line, col: ref.at.col };
    if (host.connection.kind === 'ssh') {
      if (!isAbsolute(ref.path)) {
        out.push({ severity: 'warning', code: 'qvm-path-relative', ...at, message: `${label(ref)} path \`${ref.path}\` is relative: on the ssh host qvm runs in ${host.stateDir}/guests, so it means ${resolve(`${host.stateDir}/guests`, ref.path)} there; give the absolute path on the host` });
      }
      continue;
    }
    const path = resolve(workingDir, ref.path);
    const info = await stat(path).catch(() => undefined);
    const relative = isAbsolute(ref.path) ? '' : ` (qvm runs in ${workingDir})`;
    if (ref.option === 'load' && info?.isFile() !== true) {
      const what = info === undefined ? 'does not exist' : 'is not a regular file';
      out.push({ severity: 'error', code: 'qvm-file-missing', ...at, message: `${label(ref)} file \`${path}\` ${what}${relative}: qvm would not start` });
    }
    if (ref.option === 'dump' && info?.isDirectory() !== true) {
      out.push({ severity: 'warning', code: 'qvm-dump-dir-missing', ...at, message: `${label(ref)} directory \`${path}\` ${info === undefined ? 'does not exist' : 'is not a directory'}${relative}: a guest dump would fail` });
    }
  }
  return out;
}
