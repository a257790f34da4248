// Maintenance windows: when disruptive updates (`update: window`) may run. `now` and each window's
// time zone are inputs; a window that names no zone follows the zone of the process (TZ), read
// through Date's local time, which costs nothing next to a first Intl.DateTimeFormat (about 15 ms of
// a short command's start-up): docs/manifests.md, "Maintenance windows".
//
// A window starts at a wall-clock time of its zone, so DST shifts are honoured: a start that a
// spring-forward skips is taken as the same time after the jump, and one a fall-back repeats as
// its first occurrence (as JavaScript's Date does for local times).

import type { MaintenanceWindow, Weekday } from '../model/host-spec.js';

const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const DAY_MS = 86_400_000;

export type WindowState =
  | { readonly open: true; readonly closesAt: number }
  | { readonly open: false; readonly opensAt: number | undefined };

interface CalendarDay {
  readonly year: number;
  /** 0–11, as Date.UTC takes it. */
  readonly month: number;
  readonly day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, f);
  }
  return f;
}

// The zone's wall clock at instant `t`, read as if it were UTC (undefined: the process's zone).
function wallClockAt(zone: string | undefined, t: number): number {
  if (zone === 'UTC') return t;
  if (zone === undefined) {
    const d = new Date(t);
    return Date.UTC(d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds());
  }
  const parts: Record<string, number> = {};
  for (const p of formatterOf(zone).formatToParts(new Date(t))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const seconds = Math.floor(t / 1000) * 1000;
  return Date.UTC(parts['year'] ?? 1970, (parts['month'] ?? 1) - 1, parts['day'] ?? 1, parts['hour'] ?? 0, parts['minute'] ?? 0, parts['second'] ?? 0) + (t - seconds);
}

/** local − UTC in ms at instant `t`. */
function offsetAt(zone: string | undefined, t: number): number {
  return wallClockAt(zone, t) - t;
}

// The instant of `minutes` after midnight of `date` in the zone. The offset a day before and a day
// after bracket any transition: the earlier reading is used unless only the later one is consistent.
function instantOf(zone: string | undefined, date: CalendarDay, minutes: number): number {
  const wall = Date.UTC(date.year, date.month, date.day, 0, minutes);
  if (zone === 'UTC') return wall;
  const before = wall - offsetAt(zone, wall - DAY_MS);
  if (offsetAt(zone, before) === wall - before) return before;
  const after = wall - offsetAt(zone, wall + DAY_MS);
  return offsetAt(zone, after) === wall - after ? after : before;
}

// Start instants of the window on the days around `now` (a week back for long windows, a week ahead).
function startsAround(window: MaintenanceWindow, now: number): number[] {
  const today = new Date(wallClockAt(window.timeZone, now));
  const starts: number[] = [];
  for (let offset = -8; offset <= 8; offset += 1) {
    // Calendar arithmetic on the zone's date: a 23 or 25 hour day never skips or repeats a date.
    const day = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + offset));
    if (!window.days.includes(WEEKDAYS[day.getUTCDay()] ?? 'sun')) continue;
    starts.push(instantOf(window.timeZone, { year: day.getUTCFullYear(), month: day.getUTCMonth(), day: day.getUTCDate() }, window.startMinute));
  }
  return starts;
}

// Open when `now` is inside any window (closesAt = the latest end); else the next opening, if any.
export function checkMaintenanceWindow(windows: readonly MaintenanceWindow[], now: number): WindowState {
  let closesAt: number | undefined;
  let opensAt: number | undefined;
  for (const window of windows) {
    for (const start of startsAround(window, now)) {
      const end = start + window.durationMs;
      if (start <= now && now < end) closesAt = Math.max(closesAt ?? end, end);
      else if (start > now) opensAt = Math.min(opensAt ?? start, start);
    }
  }
  return closesAt === undefined ? { open: false, opensAt } : { open: true, closesAt };
}
