// Maintenance windows: when disruptive updates (`update: window`) may run. Pure: `now` is an input.
// Windows without `utc` use the host's local time zone (through Date), so DST shifts are honoured.

import type { MaintenanceWindow, Weekday } from '../model/host-spec.js';

const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const DAY_MS = 86_400_000;

export type WindowState =
  | { readonly open: true; readonly closesAt: number }
  | { readonly open: false; readonly opensAt: number | undefined };

// Start instants of the window on the days around `now` (a week back for long windows, a week ahead).
function startsAround(window: MaintenanceWindow, now: number): number[] {
  const starts: number[] = [];
  for (let offset = -8; offset <= 8; offset += 1) {
    const day = new Date(now + offset * DAY_MS);
    const start = window.utc
      ? Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 0, window.startMinute)
      : new Date(day.getFullYear(), day.getMonth(), day.getDate(), 0, window.startMinute).getTime();
    const weekday = window.utc ? day.getUTCDay() : day.getDay();
    if (window.days.includes(WEEKDAYS[weekday] ?? 'sun')) starts.push(start);
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
