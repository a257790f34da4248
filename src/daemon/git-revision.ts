// The daemon's desired state in a git checkout is a commit, read from git, never the working tree
// (docs/daemon.md, "Settled input"): which commit the checkout's HEAD names, a private copy of
// that commit's files to load it from, and whether the working tree differs from it. Git runs with
// `--no-optional-locks` and never writes to the checkout (no index, no lock, no worktree).

import { execFile, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { MAX_INPUT_BYTES } from '../manifest/limits.js';
import type { ManifestCopy } from '../manifest/manifest-copy.js';

export interface GitRevision {
  /** The commit of the desired state in use. */
  readonly commit: string;
  /** The manifest directory's working tree differs from it (uncommitted changes, not applied). */
  readonly dirty: boolean;
}

/** What git says about the manifest directory. */
export type CheckoutLook =
  /** Not in a git work tree (or no git installed, or no directory): a plain directory. */
  | { readonly kind: 'none' }
  /** In a checkout whose `ref` names `commit`; `toplevel` is its real path. */
  | { readonly kind: 'checkout'; readonly toplevel: string; readonly commit: string }
  /** In a checkout that cannot be read (no commit yet, an unknown ref, a repository git refuses). */
  | { readonly kind: 'error'; readonly message: string };

const TIMEOUT_MS = 30_000;
// Git's messages in English whatever the locale: they are matched below.
const ENV = { ...process.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' };

interface GitResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The git executable is missing. */
  readonly missing?: boolean;
}

function git(cwd: string, args: readonly string[]): Promise<GitResult> {
  return new Promise((resolve) => {
    execFile('git', ['--no-optional-locks', '-C', cwd, ...args], { env: ENV, timeout: TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr, ...(error !== null && error.code === 'ENOENT' ? { missing: true } : {}) });
    });
  });
}

/** Whether `dir` is in a git checkout, and the commit `ref` (default HEAD) names there. One git process. */
export async function lookAtCheckout(dir: string, ref = 'HEAD'): Promise<CheckoutLook> {
  const r = await git(dir, ['rev-parse', '--show-toplevel', '--verify', '-q', '--end-of-options', `${ref}^{commit}`]);
  if (r.missing === true) return { kind: 'none' };
  const lines = r.stdout.split('\n').filter((l) => l.length > 0);
  const toplevel = lines[0];
  if (r.code === 0 && toplevel !== undefined && lines[1] !== undefined) {
    return { kind: 'checkout', toplevel: await realpath(toplevel).catch(() => toplevel), commit: lines[1] };
  }
  if (toplevel !== undefined) return { kind: 'error', message: `${ref} of the git checkout ${toplevel} names no commit (no commit yet?): only committed manifests are read` };
  const said = r.stderr.split('\n').map((l) => l.replace(/^fatal: /, '').trim()).filter((l) => l.length > 0);
  // Not a repository, no such directory (the loader reports it), or inside .git / a bare repository.
  if (/not a git repository|cannot change to|must be run in a work tree/.test(r.stderr)) return { kind: 'none' };
  return { kind: 'error', message: `git cannot read the checkout of ${dir}: ${said.join(' ') || `exit code ${r.code}`}` };
}

/**
 * Where git would look for the repository of `dir`: the nearest `.git` (a directory, or a file
 * naming one) in `dir` or above it; undefined when there is none, and git would find none either.
 * Git's own variables (`GIT_DIR`, `GIT_WORK_TREE`) leave the question to git: `{ askGit: true }`.
 */
export async function findDotGit(dir: string): Promise<{ readonly path: string } | { readonly askGit: true } | undefined> {
  if (process.env['GIT_DIR'] !== undefined || process.env['GIT_WORK_TREE'] !== undefined) return { askGit: true };
  let at = await realpath(dir).catch(() => resolve(dir));
  for (;;) {
    const candidate = join(at, '.git');
    if (await lstat(candidate).then(() => true, () => false)) return { path: candidate };
    const up = dirname(at);
    if (up === at) return undefined;
    at = up;
  }
}

/**
 * What a look at a checkout depends on: the `.git` entry, HEAD's text, and the files a commit, a
 * checkout, a reset or a fetch into the branch replace (git writes each by renaming a new file over
 * it, so its inode changes with every write). Undefined when it cannot be told (then git is asked).
 */
async function checkoutSignature(dotGit: string): Promise<string | undefined> {
  const info = await lstat(dotGit).catch(() => undefined);
  if (info === undefined) return undefined;
  let gitDir = dotGit;
  if (info.isFile()) {
    const named = /^gitdir: (.+)$/m.exec(await readFile(dotGit, 'utf8').catch(() => ''))?.[1]?.trim();
    if (named === undefined) return undefined;
    gitDir = resolve(dirname(dotGit), named);
  } else if (!info.isDirectory()) return undefined;
  const commonText = await readFile(join(gitDir, 'commondir'), 'utf8').catch(() => undefined);
  const commonDir = commonText === undefined ? gitDir : resolve(gitDir, commonText.trim());
  const head = await readFile(join(gitDir, 'HEAD'), 'utf8').catch(() => undefined);
  if (head === undefined) return undefined;
  const ref = /^ref: (.+)$/m.exec(head)?.[1]?.trim();
  const files = [join(gitDir, 'HEAD'), join(commonDir, 'packed-refs'), join(commonDir, 'reftable', 'tables.list'), ...(ref === undefined ? [] : [join(commonDir, ref), join(gitDir, ref)])];
  const stats = await Promise.all(files.map((f) => stat(f, { bigint: true }).catch(() => undefined)));
  const part = (s: Awaited<(typeof stats)[number]>): string => (s === undefined ? '-' : `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`);
  return [`${info.dev}:${info.ino}:${info.mtimeMs}`, head.trim(), ...stats.map(part)].join('|');
}

/**
 * Looks at the checkout of one directory again and again (the daemon, each pass), and asks git only
 * when it can matter: never where no `.git` is in the directory or above it, and, in a checkout,
 * only when HEAD or a file that moves a branch changed since the last look (docs/daemon.md,
 * "Settled input"). A look that failed is asked again every time.
 */
export class CheckoutLooker {
  #last: { readonly signature: string; readonly look: CheckoutLook } | undefined;

  async look(dir: string): Promise<CheckoutLook> {
    const dotGit = await findDotGit(dir);
    if (dotGit === undefined) {
      this.#last = undefined;
      return { kind: 'none' };
    }
    const signature = 'askGit' in dotGit ? undefined : await checkoutSignature(dotGit.path);
    // The signature is taken before git runs: a commit landing in between shows at the next look.
    const key = signature === undefined || 'askGit' in dotGit ? undefined : `${dotGit.path}|${signature}`;
    if (key !== undefined && this.#last?.signature === key) return this.#last.look;
    const look = await lookAtCheckout(dir);
    this.#last = key !== undefined && look.kind === 'checkout' ? { signature: key, look } : undefined;
    return look;
  }
}

/** The commit-then-working-tree revision of a checkout, for logs and `status`; undefined outside one. */
export async function readGitRevision(dir: string): Promise<GitRevision | undefined> {
  // Outside any checkout, no git process at all.
  if (await findDotGit(dir) === undefined) return undefined;
  const look = await lookAtCheckout(dir);
  if (look.kind !== 'checkout') return undefined;
  return { commit: look.commit, dirty: await workingTreeDiffers(dir, look.commit) };
}

/** Whether the working tree under `dir` differs from `commit`: a tracked file changed, or an untracked one not ignored. */
export async function workingTreeDiffers(dir: string, commit: string): Promise<boolean> {
  const [diff, untracked] = await Promise.all([
    git(dir, ['diff', '--quiet', '--no-ext-diff', '--no-textconv', commit, '--', '.']),
    git(dir, ['ls-files', '-z', '--others', '--exclude-standard', '--', '.']),
  ]);
  return diff.code !== 0 || untracked.code !== 0 || untracked.stdout.length > 0;
}

interface TreeEntry {
  readonly mode: string;
  readonly type: string;
  readonly sha: string;
  readonly size: number;
  /** Relative to the checkout's top level. */
  readonly path: string;
}

async function listTree(toplevel: string, commit: string, rel: string): Promise<TreeEntry[]> {
  const r = await git(toplevel, ['--literal-pathspecs', 'ls-tree', '-r', '-z', '-l', '--full-tree', commit, ...(rel === '' ? [] : ['--', rel])]);
  if (r.code !== 0) throw new Error(`git ls-tree ${commit.slice(0, 12)} failed: ${r.stderr.trim()}`);
  return r.stdout.split('\0').filter((l) => l.length > 0).map((line) => {
    const tab = line.indexOf('\t');
    const [mode = '', type = '', sha = '', size = '-'] = line.slice(0, tab).split(/ +/);
    return { mode, type, sha, size: size === '-' ? 0 : Number(size), path: line.slice(tab + 1) };
  });
}

// `git cat-file --batch`: every blob in one process. Output per object: `<sha> <type> <size>\n<bytes>\n`.
function readBlobs(toplevel: string, shas: readonly string[]): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    // A git that hangs gets SIGTERM after the timeout (Node sends it).
    const child = spawn('git', ['--no-optional-locks', '-C', toplevel, 'cat-file', '--batch'], { env: ENV, stdio: ['pipe', 'pipe', 'pipe'], timeout: TIMEOUT_MS, killSignal: 'SIGTERM' });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => { stderr += String(c); });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) { reject(new Error(`git cat-file failed (${String(code)}): ${stderr.trim()}`)); return; }
      const out = Buffer.concat(chunks);
      const blobs = new Map<string, Buffer>();
      let at = 0;
      while (at < out.length) {
        const eol = out.indexOf(0x0a, at);
        if (eol < 0) break;
        const [sha = '', type = '', size = ''] = out.subarray(at, eol).toString('utf8').split(' ');
        if (type === 'missing' || size === '') { reject(new Error(`git cat-file: object ${sha} missing`)); return; }
        const length = Number(size);
        blobs.set(sha, out.subarray(eol + 1, eol + 1 + length));
        at = eol + 1 + length + 1;
      }
      resolve(blobs);
    });
    child.stdin.end(shas.length === 0 ? '' : `${shas.join('\n')}\n`);
  });
}

/**
 * Private copies of commits, one at a time: a directory under the temp directory (mode 0700) that
 * mirrors the checkout from its top level, filled per directory a load asks for. Removed when the
 * next commit's copy replaces it and when the process exits.
 */
export class CommitCopies {
  #base: string | undefined;
  #current: { readonly commit: string; readonly copy: ManifestCopy } | undefined;

  /** The copy of `commit` of the checkout at `toplevel`. */
  async of(toplevel: string, commit: string): Promise<ManifestCopy> {
    if (this.#current?.commit === commit && this.#current.copy.originalRoot === toplevel) return this.#current.copy;
    const base = await this.#baseDir();
    const previous = this.#current;
    this.#current = undefined;
    if (previous !== undefined) await rm(previous.copy.root, { recursive: true, force: true });
    const dir = join(base, commit);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { mode: 0o700 });
    const copy = commitCopy(toplevel, commit, await realpath(dir));
    this.#current = { commit, copy };
    return copy;
  }

  readonly #onExit = (): void => { this.dispose(); };

  /** Removes every copy. */
  dispose(): void {
    if (this.#base !== undefined) rmSync(this.#base, { recursive: true, force: true });
    process.off('exit', this.#onExit);
    this.#base = undefined;
    this.#current = undefined;
  }

  async #baseDir(): Promise<string> {
    if (this.#base !== undefined) return this.#base;
    await removeStaleCopies();
    const base = await mkdtemp(join(tmpdir(), `${COPY_PREFIX}${process.pid}-`));
    this.#base = base;
    process.once('exit', this.#onExit);
    return base;
  }
}

const COPY_PREFIX = 'qvmctl-commit-';

// The copies of a daemon that was killed (no exit handler ran): this user's, of a process that is
// gone. Best effort; where there is no /proc to tell, nothing is removed.
async function removeStaleCopies(): Promise<void> {
  if (!existsSync('/proc/self')) return;
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  await Promise.all(names.map(async (name) => {
    const pid = new RegExp(`^${COPY_PREFIX}(\\d+)-`).exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || existsSync(`/proc/${pid}`)) return;
    const path = join(tmpdir(), name);
    const info = await lstat(path).catch(() => undefined);
    if (info?.isDirectory() !== true || info.uid !== process.getuid?.()) return;
    await rm(path, { recursive: true, force: true }).catch(() => undefined);
  }));
}

function commitCopy(toplevel: string, commit: string, root: string): ManifestCopy {
  // Directories (relative to the top level) already copied, and copies under way.
  const copied = new Map<string, Promise<void>>();
  const fill = async (rel: string): Promise<void> => {
    const entries = await listTree(toplevel, commit, rel);
    const small = entries.filter((e) => e.type === 'blob' && e.mode !== '120000' && e.size <= MAX_INPUT_BYTES);
    const links = entries.filter((e) => e.type === 'blob' && e.mode === '120000');
    const blobs = await readBlobs(toplevel, [...new Set([...small, ...links].map((e) => e.sha))]);
    for (const e of entries) {
      const target = join(root, e.path);
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      if (e.type === 'commit') await mkdir(target, { recursive: true, mode: 0o700 });
      // (A symlink may be there already: a directory copied earlier can lie inside this one.)
      else if (e.mode === '120000') await symlink(blobs.get(e.sha)?.toString('utf8') ?? '', target).catch((error: unknown) => { if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; });
      else if (e.size <= MAX_INPUT_BYTES) await writeFile(target, blobs.get(e.sha) ?? Buffer.alloc(0), { mode: 0o600 });
      // Larger than anything qvmctl reads: its size is all a load looks at (it is refused unread).
      else await writeFile(target, '', { mode: 0o600 }).then(() => truncate(target, e.size));
    }
    await mkdir(join(root, rel), { recursive: true, mode: 0o700 });
  };
  return {
    root,
    originalRoot: toplevel,
    commit,
    async include(path) {
      const rel = relative(toplevel, path);
      if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return path;
      // A directory inside one already copied is there.
      const covering = [...copied.keys()].find((done) => done === '' || rel === done || rel.startsWith(done + sep));
      let filling = covering === undefined ? undefined : copied.get(covering);
      if (filling === undefined) {
        filling = fill(rel);
        copied.set(rel, filling);
        filling.catch(() => copied.delete(rel));
      }
      await filling;
      return rel === '' ? root : join(root, rel);
    },
  };
}
