import { describe, expect, it } from 'vitest';
import type { MaintenanceWindow } from '../../src/model/host-spec.js';
import { checkMaintenanceWindow } from '../../src/planner/maintenance-window.js';

const at = (day: number, hour: number, minute = 0) => Date.UTC(2025, 0, day, hour, minute); // 2025-01-06 is a Monday
const sundayNight: MaintenanceWindow = { days: ['sun'], startMinute: 23 * 60, durationMs: 2 * 3_600_000, timeZone: 'UTC' };

describe('checkMaintenanceWindow', () => {
  it('is open inside a window that spans midnight', () => {
    expect(checkMaintenanceWindow([sundayNight], at(5, 23, 30))).toEqual({ open: true, closesAt: at(6, 1) });
    expect(checkMaintenanceWindow([sundayNight], at(6, 0, 30))).toEqual({ open: true, closesAt: at(6, 1) });
  });

  it('names the next opening when closed', () => {
    expect(checkMaintenanceWindow([sundayNight], at(6, 1))).toEqual({ open: false, opensAt: at(12, 23) });
  });

  it('picks the earliest of several windows', () => {
    const tuesday: MaintenanceWindow = { days: ['tue', 'thu'], startMinute: 120, durationMs: 3_600_000, timeZone: 'UTC' };
    expect(checkMaintenanceWindow([sundayNight, tuesday], at(6, 12))).toEqual({ open: false, opensAt: at(7, 2) });
  });

  it('has no opening without windows', () => {
    expect(checkMaintenanceWindow([], at(6, 12))).toEqual({ open: false, opensAt: undefined });
  });
});

// The window's own zone decides, whatever the zone of the machine that plans (this file never
// reads it). Europe/Berlin: CET (+1) in winter, CEST (+2) from 2025-03-30 01:00 UTC to 2025-10-26 01:00 UTC.
describe('checkMaintenanceWindow in a time zone', () => {
  const berlin = (days: MaintenanceWindow['days'], start: string, hours = 1): MaintenanceWindow =>
    ({ days, startMinute: Number(start.slice(0, 2)) * 60 + Number(start.slice(3)), durationMs: hours * 3_600_000, timeZone: 'Europe/Berlin' });
  const utc = (month: number, day: number, hour: number, minute = 0) => Date.UTC(2025, month - 1, day, hour, minute);

  it('opens at the wall-clock time of its zone, in winter and in summer', () => {
    expect(checkMaintenanceWindow([berlin(['sun'], '03:00')], utc(1, 12, 1, 30))).toEqual({ open: false, opensAt: utc(1, 12, 2) });
    expect(checkMaintenanceWindow([berlin(['sun'], '03:00')], utc(7, 6, 1, 30))).toEqual({ open: true, closesAt: utc(7, 6, 2) });
  });

  it('counts the days of its zone: Sunday 00:30 in Berlin is still Saturday in UTC', () => {
    expect(checkMaintenanceWindow([berlin(['sun'], '00:00')], utc(7, 5, 22, 30))).toEqual({ open: true, closesAt: utc(7, 5, 23) });
  });

  it('takes a start that spring-forward skips as the same time after the jump', () => {
    // 2025-03-30 02:30 does not exist in Berlin; the window opens at 03:30 CEST (01:30 UTC).
    expect(checkMaintenanceWindow([berlin(['sun'], '02:30')], utc(3, 30, 0, 0))).toEqual({ open: false, opensAt: utc(3, 30, 1, 30) });
  });

  it('takes a start that fall-back repeats as its first occurrence', () => {
    // 2025-10-26 02:30 happens twice in Berlin; the window opens at the first (CEST, 00:30 UTC).
    expect(checkMaintenanceWindow([berlin(['sun'], '02:30')], utc(10, 26, 0, 0))).toEqual({ open: false, opensAt: utc(10, 26, 0, 30) });
    // The day after the 25-hour day: no date is skipped or repeated.
    expect(checkMaintenanceWindow([berlin(['mon'], '02:30')], utc(10, 26, 12))).toEqual({ open: false, opensAt: utc(10, 27, 1, 30) });
  });

  it('keeps a window that spans the jump its length in real time', () => {
    // Saturday 23:00 CET (22:00 UTC) for 5 hours: it closes at 03:00 UTC, 05:00 CEST, not at 04:00 local.
    expect(checkMaintenanceWindow([berlin(['sat'], '23:00', 5)], utc(3, 30, 2, 59))).toEqual({ open: true, closesAt: utc(3, 30, 3) });
  });

  // A window without a zone follows the process's (TZ): the same answers as one that names it, and
  // as Date's own local time, across both of the year's transitions.
  it('follows the process\'s zone when it names none, as a window naming that zone does', () => {
    const zone = 'America/New_York';
    const previous = process.env['TZ'];
    process.env['TZ'] = zone;
    try {
      for (const now of [utc(3, 9, 6, 30), utc(3, 9, 7, 30), utc(11, 2, 5, 30), utc(11, 2, 6, 30), utc(6, 15, 12)]) {
        const named: MaintenanceWindow = { days: ['sun'], startMinute: 2 * 60 + 30, durationMs: 3_600_000, timeZone: zone };
        const local: MaintenanceWindow = { ...named, timeZone: undefined };
        const day = new Date(now);
        const localStart = (offset: number) => new Date(day.getFullYear(), day.getMonth(), day.getDate() + offset, 2, 30).getTime();
        const state = checkMaintenanceWindow([local], now);
        expect(state).toEqual(checkMaintenanceWindow([named], now));
        const next = state.open ? undefined : state.opensAt;
        const expected = [-7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8].map(localStart).filter((t) => new Date(t).getDay() === 0);
        const open = expected.find((t) => t <= now && now < t + 3_600_000);
        if (open === undefined) expect(next).toBe(expected.find((t) => t > now));
        else expect(state).toEqual({ open: true, closesAt: open + 3_600_000 });
      }
    } finally {
      if (previous === undefined) delete process.env['TZ'];
      else process.env['TZ'] = previous;
    }
  });
});
