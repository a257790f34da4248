// When each running guest without a manifest was first seen so (the prune grace period counts from
// then). Kept on the host (HostState) so that a restart of qvmctl does not reset the grace.

// Keeps the first-seen time of guests still orphaned, adds new ones at `now`, forgets the rest.
export function trackOrphans(
  previous: ReadonlyMap<string, number>,
  running: readonly string[],
  specs: ReadonlyMap<string, unknown>,
  now: number,
): ReadonlyMap<string, number> {
  const next = new Map<string, number>();
  for (const name of running) if (!specs.has(name)) next.set(name, previous.get(name) ?? now);
  return next;
}

// Unchanged orphan times need no (fsynced) write on every pass.
export function sameOrphans(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  return a.size === b.size && [...a].every(([name, at]) => b.get(name) === at);
}
