// Bounds on what qvmctl reads as input (docs/manifests.md).

/** Largest manifest, or file a manifest names (`configFile`, an `@file`), qvmctl reads; anything bigger is refused unread. */
export const MAX_INPUT_BYTES = 1024 * 1024;
