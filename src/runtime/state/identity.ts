// The identity record of the qvm process qvmctl started for a guest: what adoption verifies.
import { isValidFile } from '../file-schemas.js';
import { readJsonFile, writeJsonAtomic } from './atomic-file.js';
import type { StateLayout } from './layout.js';

export interface IdentityRecord {
  readonly name: string;
  readonly runId: string;
  readonly pid: number;
  readonly processStart: string;
  readonly configHash: string;
  readonly confPath: string;
  /** Epoch ms the monitor was launched. */
  readonly startedAt: number;
  /** Size of console.log before this run: readiness by log reads from here. */
  readonly consoleOffset: number;
  /** Epoch ms the readiness check passed for this process, if it did. */
  readonly readyAt?: number;
}

export async function readIdentity(layout: StateLayout, name: string): Promise<IdentityRecord | undefined> {
  return parseIdentity(name, await readJsonFile(layout.identityFile(name)));
}

/**
 * An identity record from parsed JSON, or undefined when it lacks what adoption verifies
 * (schemas/files/identity.schema.json); the other fields default when absent or not of their type.
 */
export function parseIdentity(name: string, value: unknown): IdentityRecord | undefined {
  if (!isValidFile('identity', value)) return undefined;
  const r = value as Pick<IdentityRecord, 'runId' | 'pid' | 'processStart' | 'confPath'> & Readonly<Record<'configHash' | 'startedAt' | 'consoleOffset' | 'readyAt', unknown>>;
  return {
    name,
    runId: r.runId,
    pid: r.pid,
    processStart: r.processStart,
    configHash: typeof r.configHash === 'string' ? r.configHash : '',
    confPath: r.confPath,
    startedAt: typeof r.startedAt === 'number' ? r.startedAt : 0,
    consoleOffset: typeof r.consoleOffset === 'number' ? r.consoleOffset : 0,
    ...(typeof r.readyAt === 'number' ? { readyAt: r.readyAt } : {}),
  };
}

export async function writeIdentity(layout: StateLayout, record: IdentityRecord): Promise<void> {
  await writeJsonAtomic(layout.identityFile(record.name), record);
}
