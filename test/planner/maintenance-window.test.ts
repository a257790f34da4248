import { describe, expect, it } from 'vitest';
import type { MaintenanceWindow } from '../../src/model/host-spec.js';
import { checkMaintenanceWindow } from '../../src/planner/maintenance-window.js';

const at = (day: number, hour: number, minute = 0) => Date.UTC(2025, 0, day, hour, minute); // 2025-01-06 is a Monday
const sundayNight: MaintenanceWindow = { days: ['sun'], startMinute: 23 * 60, durationMs: 2 * 3_600_000, utc: true };

describe('checkMaintenanceWindow', () => {
  it('is open inside a window that spans midnight', () => {
    expect(checkMaintenanceWindow([sundayNight], at(5, 23, 30))).toEqual({ open: true, closesAt: at(6, 1) });
    expect(checkMaintenanceWindow([sundayNight], at(6, 0, 30))).toEqual({ open: true, closesAt: at(6, 1) });
  });

  it('names the next opening when closed', () => {
    expect(checkMaintenanceWindow([sundayNight], at(6, 1))).toEqual({ open: false, opensAt: at(12, 23) });
  });

  it('picks the earliest of several windows', () => {
    const tuesday: MaintenanceWindow = { days: ['tue', 'thu'], startMinute: 120, durationMs: 3_600_000, utc: true };
    expect(checkMaintenanceWindow([sundayNight, tuesday], at(6, 12))).toEqual({ open: false, opensAt: at(7, 2) });
  });

  it('has no opening without windows', () => {
    expect(checkMaintenanceWindow([], at(6, 12))).toEqual({ open: false, opensAt: undefined });
  });
});
