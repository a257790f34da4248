// What can go wrong with the link to a remote host, as one error type the CLI and daemon report.
import { RuntimeError } from '../errors.js';

export type UnreachableKind = 'unreachable' | 'timeout' | 'auth' | 'host-key-unknown' | 'host-key-changed' | 'protocol';

/** The host could not be reached, or did not answer as expected: nothing was concluded about its guests. */
export class HostUnreachableError extends RuntimeError {
  override readonly name = 'HostUnreachableError';
  constructor(readonly where: string, readonly kind: UnreachableKind, message: string) {
    super(message);
  }
}
