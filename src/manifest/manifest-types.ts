// Manifests as written (after the schema accepted them): every field optional, durations as text.
// The normalized form is in model/; normalize-guest.ts and normalize-host.ts turn one into the other.

export type Args = string | number | readonly (string | number)[] | null;

export interface CpuInput {
  readonly sched?: string | number;
  readonly runmask?: string | number | readonly number[];
  readonly cluster?: string;
}

export interface QvmInput {
  readonly configFile?: string;
  readonly config?: string;
  readonly system?: string;
  readonly cpus?: number | readonly CpuInput[];
  readonly ram?: readonly string[];
  readonly rom?: readonly string[];
  readonly load?: readonly (string | number)[];
  readonly initrd?: string | number;
  readonly cmdline?: string;
  readonly vdevs?: readonly { readonly type: string; readonly options?: readonly Readonly<Record<string, Args>>[] }[];
  readonly pass?: readonly { readonly blobType?: string; readonly loc?: string | number; readonly intr?: string | number }[];
  readonly reserve?: readonly { readonly loc?: string | number; readonly intr?: string | number }[];
  readonly logger?: readonly Args[];
  readonly dump?: string | number;
  readonly set?: Readonly<Record<string, string | number>>;
  /** Other global qvm options, in order, one single-key map each. */
  readonly options?: readonly Readonly<Record<string, Args>>[];
  readonly simulator?: Readonly<Record<string, string | number | boolean>>;
  readonly extraArgs?: readonly string[];
}

export interface GuestInput {
  readonly apiVersion: string;
  readonly kind: 'Guest';
  readonly metadata: { readonly name: string; readonly labels?: Readonly<Record<string, string>> };
  readonly spec?: {
    readonly state?: 'running' | 'stopped';
    readonly os?: 'qnx' | 'linux' | 'android' | 'other';
    readonly qvm?: QvmInput;
    readonly dependsOn?: readonly string[];
    readonly readiness?: {
      readonly command?: readonly string[];
      readonly interval?: string;
      readonly logPattern?: string;
      readonly minUptime?: string;
      readonly timeout?: string;
    };
    readonly shutdown?: {
      readonly guestCommand?: readonly string[];
      readonly guestTimeout?: string;
      readonly powerButtonTimeout?: string;
      readonly powerButton?: 'graceful' | 'ignored' | 'abrupt';
      readonly allowPowerCut?: boolean;
      readonly powerCutTimeout?: string;
    };
    readonly restart?: {
      readonly onGuestExit?: 'restart' | 'stay-stopped';
      readonly onFailure?: 'restart' | 'stay-stopped';
      readonly backoff?: { readonly initial?: string; readonly max?: string; readonly resetAfter?: string };
      readonly maxFailures?: { readonly count?: number; readonly window?: string };
      readonly exitCodes?: Readonly<Record<string, 'reboot' | 'poweroff' | 'failure'>>;
      readonly startLimit?: { readonly burst?: number; readonly interval?: string };
    };
    readonly update?: 'restart' | 'window' | 'manual';
  };
}

export interface HostInput {
  readonly apiVersion: string;
  readonly kind: 'Host';
  readonly spec?: {
    readonly qvm?: { readonly path?: string; readonly simulator?: boolean };
    readonly arch?: 'x86_64' | 'aarch64';
    readonly connection?: { readonly ssh: { readonly host: string; readonly user?: string; readonly port?: number; readonly identityFile?: string; readonly configFile?: string; readonly connectTimeout?: string } };
    readonly stateDir?: string;
    readonly concurrency?: number;
    readonly reconcile?: { readonly interval?: string; readonly debounce?: string };
    readonly prune?: { readonly enabled?: boolean; readonly grace?: string; readonly maxFraction?: number };
    readonly maintenanceWindows?: readonly { readonly days: readonly string[]; readonly start: string; readonly duration: string; readonly utc?: boolean }[];
    readonly shutdown?: { readonly command?: readonly string[]; readonly rebootCommand?: readonly string[]; readonly deadline?: string; readonly unmanaged?: 'stop' | 'leave' | 'refuse' };
    readonly consoleLog?: { readonly maxSize?: string | number; readonly keep?: number };
    readonly history?: { readonly keep?: number };
    readonly commands?: { readonly allow?: readonly string[] };
    readonly configRoots?: readonly string[];
  };
}
