// The simulated guest: boot → running → an exit code, driven only by timers, signals and the
// control socket (no busy loops: an idle guest has no timer at all).

import { performance } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ControlReply } from './control.js';
import { markDiskDirty, readDirtyReason, removeMarker, writeClaim } from './damage.js';
import { appendJournal, type JournalFields } from './journal.js';
import type { SimPaths } from './paths.js';
import type { SimSettings } from './settings.js';

export type GuestState = 'booting' | 'running' | 'shutting-down' | 'ended';

export interface SimulatedGuestOptions {
  readonly settings: SimSettings;
  readonly paths: SimPaths;
  /** Writes one console line (stdout of qvm). */
  readonly console: (line: string) => void;
  /** Called once with the qvm exit code; the caller ends the process. */
  readonly onExit: (code: number) => void;
}

export class SimulatedGuest {
  private state: GuestState = 'booting';
  private hung = false;
  private ignorePowerButton: boolean;
  private presses = 0;
  private readonly startedAt = Date.now();
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly options: SimulatedGuestOptions) {
    this.ignorePowerButton = options.settings.ignorePowerButton;
  }

  get currentState(): GuestState {
    return this.state;
  }

  private journal(fields: JournalFields): void {
    appendJournal({ path: this.options.paths.journal, system: this.options.settings.system, fields });
  }

  private say(text: string): void {
    this.options.console(`${this.options.settings.system}: ${text}`);
  }

  private schedule(ms: number, action: () => void): void {
    this.timers.push(setTimeout(action, ms));
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
  }

  /** Claims the hardware and boots; the caller has already made sure no other instance runs. */
  boot(): void {
    const { settings, paths } = this.options;
    writeClaim(paths.hardwareClaim);
    this.journal({ event: 'boot' });
    this.say(`booting (qvm-sim pid ${process.pid})`);
    const dirty = readDirtyReason(paths.diskDirty);
    if (dirty !== undefined) {
      this.say(`filesystem was not cleanly unmounted (${dirty}): running filesystem check`);
      this.journal({ event: 'fsck', reason: dirty });
      removeMarker(paths.diskDirty);
    }
    // boot-ms counts from the launch of this process, as a guest's boot time counts from the launch
    // of qvm: the simulator's own start-up (a Node process) does not add to it.
    this.schedule(Math.max(0, settings.bootMs - Math.round(performance.now())), () => { this.enterRunning(); });
  }

  private enterRunning(): void {
    this.timers = [];
    this.state = 'running';
    this.journal({ event: 'running' });
    this.say('guest running');
    this.options.console(`[${this.options.settings.system}] login:`);
    const after = this.options.settings.after;
    if (after.crash !== undefined) this.schedule(after.crash, () => { this.crash(); });
    if (after.hang !== undefined) this.schedule(after.hang, () => { this.hang(); });
    if (after.shutdown !== undefined) this.schedule(after.shutdown, () => { this.beginShutdown(0, 'guest shutdown'); });
    if (after.reboot !== undefined) this.schedule(after.reboot, () => { this.beginShutdown(this.options.settings.rebootExit, 'guest reboot'); });
  }

  private beginShutdown(code: number, why: string): void {
    if (this.state === 'shutting-down' || this.state === 'ended') return;
    this.clearTimers();
    this.state = 'shutting-down';
    this.journal({ event: 'shutdown', reason: why });
    this.say(`${why}: shutting down`);
    this.schedule(this.options.settings.shutdownMs, () => { this.end(code); });
  }

  private end(code: number, damage?: string): void {
    if (this.state === 'ended') return;
    this.clearTimers();
    this.state = 'ended';
    const { paths } = this.options;
    if (damage !== undefined) {
      markDiskDirty(paths.diskDirty, damage);
      this.journal({ event: 'damage', kind: 'disk', reason: damage });
    }
    removeMarker(paths.hardwareClaim);
    this.journal({ event: 'exit', code });
    this.say(`qvm exiting with code ${code}`);
    this.options.onExit(code);
  }

  /** SIGTERM/SIGINT: the power button. The guest may ignore it, or end at once (`power-button` knob). */
  powerButton(signal: 'SIGTERM' | 'SIGINT'): void {
    this.journal({ event: 'signal', signal });
    if (this.state === 'ended') return;
    this.presses += 1;
    const kind = this.options.settings.powerButton;
    // Not handled by the guest, qvm ends it at once: on the first press (abrupt), on the second (ignored).
    if (kind === 'abrupt' || (kind === 'ignored' && this.presses > 1)) {
      this.say(`power button (${signal}) not handled by the guest: qvm ends it at once`);
      this.end(3, 'power button not handled by the guest');
      return;
    }
    if (this.state === 'shutting-down') return;
    if (this.hung || this.ignorePowerButton || kind === 'ignored') {
      this.say(`power button (${signal}) ignored by the guest`);
      return;
    }
    this.beginShutdown(0, `power button (${signal})`);
  }

  /** SIGQUIT: the power cut. Exit 3 at once; the disk is left dirty. */
  powerCut(): void {
    this.journal({ event: 'signal', signal: 'SIGQUIT' });
    this.say('power cut (SIGQUIT)');
    this.end(3, 'power cut');
  }

  /** SIGUSR1: one status line; SIGUSR2: a guest dump if `dump` is configured. */
  status(signal: 'SIGUSR1' | 'SIGUSR2'): void {
    this.journal({ event: 'signal', signal });
    if (signal === 'SIGUSR1') {
      this.say(`status: state=${this.state}${this.hung ? ' (hung)' : ''} uptime-ms=${Date.now() - this.startedAt} pid=${process.pid}`);
      return;
    }
    const dumpDir = this.options.settings.dumpDir;
    if (dumpDir === undefined) return;
    const file = join(dumpDir, `${this.options.settings.system}-${process.pid}-${Date.now()}.dump`);
    try {
      writeFileSync(file, `qvm-sim dump of ${this.options.settings.system}: state=${this.state}\n`);
      this.say(`guest dump written to ${file}`);
    } catch {
      this.say(`guest dump to ${file} failed`);
    }
  }

  private hang(): void {
    if (this.state !== 'running') return;
    this.hung = true;
    this.clearTimers();
    this.say('guest hung');
    const watchdog = this.options.settings.watchdog;
    if (watchdog !== undefined) {
      this.schedule(watchdog.biteMs, () => {
        this.say(`watchdog ${watchdog.type} expired: terminating`);
        this.end(4, 'watchdog');
      });
    }
  }

  private crash(): void {
    this.say('guest crashed: fatal error after the guest started');
    this.end(96);
  }

  /** An action from inside the guest (`qvm-sim guest <system> <action>`). */
  guestAction(action: string): ControlReply {
    // Like `systemctl is-active`: succeeds only for a running, responsive guest, so it can gate readiness.
    if (action === 'status') return { ok: this.state === 'running' && !this.hung, message: `${this.state}${this.hung ? ' (hung)' : ''}` };
    if (this.state !== 'running') return { ok: false, message: `guest is ${this.state}, not accepting commands` };
    if (this.hung) return { ok: false, message: 'guest does not respond (hung)' };
    this.journal({ event: 'guest', action });
    switch (action) {
      case 'shutdown':
      case 'reboot':
        if (this.options.settings.ignoreGuestShutdown) {
          this.say(`guest ${action} requested but ignored`);
          return { ok: true, message: `${action} requested` };
        }
        this.beginShutdown(action === 'reboot' ? this.options.settings.rebootExit : 0, `guest ${action}`);
        return { ok: true, message: `${action} started` };
      case 'hang':
        setImmediate(() => { this.hang(); });
        return { ok: true, message: 'guest will hang' };
      case 'crash':
        setImmediate(() => { this.crash(); });
        return { ok: true, message: 'guest will crash' };
      case 'ignore-power-button':
        this.ignorePowerButton = true;
        return { ok: true, message: 'power button will be ignored' };
      default:
        return { ok: false, message: `unknown guest action \`${action}\`` };
    }
  }
}
