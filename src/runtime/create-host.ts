// The one place that picks the host port's adapter: local when qvmctl runs on the hypervisor host,
// ssh when the Host manifest names a connection (docs/remote.md).
import { createHash } from 'node:crypto';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { HostSpec } from '../model/host-spec.js';
import type { RuntimeEvent, RuntimeTuning } from './context.js';
import { createHostRuntime } from './create-host-runtime.js';
import type { HostPort } from './port.js';
import { createSshHost } from './ssh/create-ssh-host.js';

export interface HostTarget {
  readonly qvm: HostSpec['qvm'];
  readonly connection: HostSpec['connection'];
  /** On the host. */
  readonly stateDir: string;
}

export interface CreateHostOptions {
  readonly host: HostTarget;
  readonly tuning?: Partial<RuntimeTuning>;
  readonly onEvent?: (event: RuntimeEvent) => void;
}

export function createHost(options: CreateHostOptions): HostPort {
  const { host } = options;
  const common = {
    ...(options.tuning === undefined ? {} : { tuning: options.tuning }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  };
  if (host.connection.kind === 'ssh') {
    return createSshHost({ connection: host.connection, qvm: host.qvm, stateDir: host.stateDir, controlDir: controlDirOf(host), ...common });
  }
  return createHostRuntime({ host, stateDir: host.stateDir, ...common });
}

/**
 * Where this machine keeps what belongs to its connection to the host: the daemon's control socket
 * and, for ssh, the connection's master socket. Local: the state directory itself. Remote: a private
 * directory per user and host under the temp directory, short enough for a UNIX socket path.
 */
export function controlDirOf(host: HostTarget): string {
  if (host.connection.kind === 'local') return host.stateDir;
  const { host: name, user, port } = host.connection;
  const key = createHash('sha256').update(JSON.stringify([name, user ?? '', port ?? 0, host.stateDir])).digest('hex').slice(0, 16);
  return join(tmpdir(), `qvmctl-${userInfo().uid}`, key);
}
