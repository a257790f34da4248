// The one order of names and paths qvmctl prints and plans in: code-unit order, not locale order,
// so it is the same on every host whatever its locale.

export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
