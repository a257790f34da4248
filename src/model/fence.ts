// The shutdown fence: once a host shutdown begins, no guest may start or restart until an operator
// lifts it (docs/shutdown.md). It lives on the host, so that every qvmctl obeys it.

export interface Fence {
  /** Epoch ms when the fence went up. */
  readonly since: number;
  readonly reason: string;
}
