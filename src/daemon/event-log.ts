// Recent events (like `kubectl get events`) and, per guest, the chain of decisions that explains
// its state (`qvmctl why`). Bounded ring buffers in memory: the daemon's view, not a history store.

export type EventType = 'Normal' | 'Warning';

export interface DaemonEvent {
  /** Epoch ms. */
  readonly time: number;
  /** Absent for host-wide events (manifests, passes). */
  readonly guest: string | undefined;
  readonly type: EventType;
  /** CamelCase, stable: `Started`, `Stopped`, `Exited`, `BackOff`, `GaveUp`, `ManifestInvalid`… */
  readonly reason: string;
  readonly message: string;
  /** How many times in a row the same event happened (repeats are folded into one entry). */
  readonly count: number;
}

export type DecisionKind = 'plan' | 'hold' | 'exit' | 'action' | 'manifest' | 'monitor';

export interface Decision {
  readonly time: number;
  /** Pass id that made it. */
  readonly pass: number;
  readonly kind: DecisionKind;
  /** A plan action (`start`…), a hold or exit reason, a step outcome. */
  readonly what: string;
  readonly detail: string;
}

export interface EventLogOptions {
  /** @default 500 */
  readonly maxEvents?: number;
  /** Decisions kept per guest. @default 50 */
  readonly maxDecisions?: number;
  /** Called after each new event or decision (the web view's stream: docs/ui.md). */
  readonly onChange?: () => void;
}

export class EventLog {
  readonly #events: DaemonEvent[] = [];
  readonly #decisions = new Map<string, Decision[]>();
  readonly #maxEvents: number;
  readonly #maxDecisions: number;
  readonly #onChange: (() => void) | undefined;

  constructor(options: EventLogOptions = {}) {
    this.#maxEvents = options.maxEvents ?? 500;
    this.#maxDecisions = options.maxDecisions ?? 50;
    this.#onChange = options.onChange;
  }

  // Same guest, reason and message as the latest entry: count it instead of adding a line.
  record(event: Omit<DaemonEvent, 'count'>): void {
    const last = this.#events.at(-1);
    if (last !== undefined && last.guest === event.guest && last.reason === event.reason && last.message === event.message) {
      this.#events[this.#events.length - 1] = { ...last, time: event.time, count: last.count + 1 };
    } else {
      this.#events.push({ ...event, count: 1 });
      if (this.#events.length > this.#maxEvents) this.#events.splice(0, this.#events.length - this.#maxEvents);
    }
    this.#onChange?.();
  }

  // A decision identical to the guest's latest one (a hold seen again on the next pass) is not repeated.
  decide(guest: string, decision: Decision): void {
    const list = this.#decisions.get(guest) ?? [];
    const last = list.at(-1);
    if (last?.kind === decision.kind && last.what === decision.what && last.detail === decision.detail) return;
    list.push(decision);
    if (list.length > this.#maxDecisions) list.splice(0, list.length - this.#maxDecisions);
    this.#decisions.set(guest, list);
    this.#onChange?.();
  }

  events(filter: { readonly guest?: string } = {}): readonly DaemonEvent[] {
    return filter.guest === undefined ? [...this.#events] : this.#events.filter((e) => e.guest === filter.guest);
  }

  decisions(guest: string): readonly Decision[] {
    return [...(this.#decisions.get(guest) ?? [])];
  }
}
