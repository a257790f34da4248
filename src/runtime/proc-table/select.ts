// The process-table reader for the OS qvmctl runs on.
import { createLinuxProcessTable } from './linux.js';
import { createQnxProcessTable } from './qnx.js';
import type { ProcessTable } from './types.js';

export function createProcessTable(platform: NodeJS.Platform | 'qnx' = process.platform): ProcessTable {
  // Node reports QNX as 'qnx' on builds for it; everything else with /proc is read as Linux.
  return (platform as string) === 'qnx' ? createQnxProcessTable() : createLinuxProcessTable();
}
