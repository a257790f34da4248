// execa and its dependencies take longer to load than the rest of qvmctl together (about 160 ms),
// and only the commands that start guests or run commands need them; `validate`, `plan` and
// `status` never pay for it. The import is shared, so the first caller loads it for everyone.
export type Execa = typeof import('execa').execa;

let loading: Promise<typeof import('execa')> | undefined;

export function loadExeca(): Promise<typeof import('execa')> {
  loading ??= import('execa');
  return loading;
}
