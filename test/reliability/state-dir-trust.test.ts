// A state directory is trusted the way OpenSSH's StrictModes trusts ~/.ssh:
// one that someone else could change, or that leads elsewhere through a link, is refused with one
// line before anything reads or writes it, and the refusal changes nothing on disk.
import { chmod, chown, mkdir, readdir, readFile, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { MONITOR_SCRIPT } from '../../src/runtime/monitor-script.js';
import { runQvmctl } from '../helpers/cli.js';
import { createCrashFleet, type CrashFleet } from '../helpers/crash-fleet.js';
import { snapshotTree as snapshot } from '../helpers/temp-dir.js';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

let fleet: CrashFleet | undefined;
let restore: (() => Promise<void>) | undefined;
afterEach(async () => {
  await restore?.();
  restore = undefined;
  await fleet?.cleanup();
  fleet = undefined;
});


const cli = (f: CrashFleet, args: readonly string[], stateDir: string): ReturnType<typeof runQvmctl> =>
  runQvmctl([...args, '-f', f.manifests, '--state-dir', stateDir]);

describe.skipIf(!asRoot)('a state directory is trusted like ~/.ssh', () => {
  it('refuses a state directory owned by nobody with mode 0777, for acting and looking commands alike, and changes nothing', async () => {
    const f = (fleet = await createCrashFleet());
    await f.writeGuest('base');
    const sd = f.stateDir;
    await mkdir(join(sd, 'guests'), { recursive: true });
    await writeFile(join(sd, 'monitor.sh'), '#!/bin/sh\necho replaced by nobody\n', { mode: 0o755 });
    // A "daemon" socket someone else put there: status must not ask it.
    let asked = 0;
    const fake = createServer((c) => { asked += 1; c.destroy(); });
    await new Promise<void>((resolve) => fake.listen(join(sd, 'qvmctl.sock'), resolve));
    await chown(sd, NOBODY, NOBODY);
    await chmod(sd, 0o777);
    restore = async () => {
      await new Promise((resolve) => fake.close(resolve));
      await chown(sd, 0, 0);
      await chmod(sd, 0o700);
    };
    const before = await snapshot(sd);
    for (const args of [['apply'], ['plan'], ['status'], ['shutdown', '--dry-run'], ['start', 'base']]) {
      const r = await cli(f, args, sd);
      const what = `${args.join(' ')}: ${r.stderr}`;
      expect(r.exitCode, what).toBe(1);
      expect(r.stderr, what).toContain(`qvmctl: state directory ${sd} is not trusted: ${sd} is owned by uid ${NOBODY}, not by this user (root, uid 0) and is writable by group or others (mode 0777); run \`chown root ${sd} && chmod 700 ${sd}\` (or choose another with --state-dir)`);
      expect(r.stderr, what).not.toMatch(/\n\s+at /);
      expect(await snapshot(sd), what).toEqual(before);
    }
    expect(await f.journal()).toEqual([]);
    expect(asked).toBe(0);
    await new Promise((resolve) => fake.close(resolve));
    restore = undefined;
    // The fix it names makes it usable.
    await execa('sh', ['-c', `chown root ${sd} && chmod 700 ${sd}`]);
    const ok = await cli(f, ['apply'], sd);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(await readFile(join(sd, 'monitor.sh'), 'utf8')).toBe(MONITOR_SCRIPT);
  });

  it('refuses a state directory below a world-writable parent without the sticky bit, and creates nothing', async () => {
    const f = (fleet = await createCrashFleet());
    await f.writeGuest('base');
    const shared = join(f.root, 'shared');
    await mkdir(shared);
    await chmod(shared, 0o777);
    const sd = join(shared, 'state');
    for (const args of [['apply'], ['plan']]) {
      const r = await cli(f, args, sd);
      expect(r.exitCode, r.stderr).toBe(1);
      expect(r.stderr).toContain(`qvmctl: state directory ${sd} is not trusted: ${shared} (above the state directory) is writable by group or others without the sticky bit (mode 0777); run \`chown root ${shared} && chmod go-w ${shared}\``);
      expect(await readdir(shared)).toEqual([]);
      expect((await stat(shared)).mode & 0o7777).toBe(0o777);
    }
    // A parent owned by another user is refused the same way, even when not writable.
    await chmod(shared, 0o755);
    await chown(shared, NOBODY, NOBODY);
    const r = await cli(f, ['apply'], sd);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toContain(`${shared} (above the state directory) is owned by uid ${NOBODY}, neither root nor this user (root); run \`chown root ${shared} && chmod go-w ${shared}\``);
    expect(await readdir(shared)).toEqual([]);
  });

  it('accepts a /tmp-style parent: root-owned, world-writable and sticky', async () => {
    const f = (fleet = await createCrashFleet());
    await f.writeGuest('base');
    const shared = join(f.root, 'tmp');
    await mkdir(shared);
    await chmod(shared, 0o1777);
    const sd = join(shared, 'state');
    const r = await cli(f, ['apply'], sd);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await stat(sd)).mode & 0o777).toBe(0o700);
    const status = await cli(f, ['status'], sd);
    expect(status.stdout).toMatch(/base\s+running/);
    // The fleet's cleanup stops what runs in its own state directory: this one is stopped here.
    const down = await cli(f, ['shutdown', '--no-host'], sd);
    expect(down.exitCode, down.stderr).toBe(0);
  });

  it('refuses a state directory that is a symbolic link, and writes nothing where it points', async () => {
    const f = (fleet = await createCrashFleet());
    await f.writeGuest('base');
    const real = join(f.root, 'real');
    await mkdir(real, { mode: 0o700 });
    await symlink(real, f.stateDir);
    restore = () => unlink(f.stateDir);
    for (const args of [['apply'], ['plan'], ['status']]) {
      const r = await cli(f, args, f.stateDir);
      expect(r.exitCode, r.stderr).toBe(1);
      expect(r.stderr).toContain(`qvmctl: state directory ${f.stateDir} is not trusted: ${f.stateDir} is a symbolic link (the state directory must be a real directory); run \`rm ${f.stateDir} && mkdir -m 700 ${f.stateDir}\``);
      expect(await readdir(real)).toEqual([]);
    }
    expect(await f.journal()).toEqual([]);
  });

  it('never writes through a console.log or a guest directory that is a symbolic link', async () => {
    const f = (fleet = await createCrashFleet());
    await f.writeGuest('base');
    const sd = f.stateDir;
    const guestDir = join(sd, 'guests', 'base');
    await mkdir(guestDir, { recursive: true, mode: 0o700 });
    const target = join(f.root, 'precious');
    await writeFile(target, 'precious\n');
    await symlink(target, join(guestDir, 'console.log'));
    const r = await f.cli(['apply']);
    expect(r.exitCode, r.output).toBe(1);
    expect(r.output).toContain(`${guestDir}/console.log is a symbolic link, which qvmctl never writes through; run \`rm ${guestDir}/console.log\``);
    expect(await readFile(target, 'utf8')).toBe('precious\n');
    expect(await f.journal()).toEqual([]);

    // A guest directory that is a link to somewhere else: nothing is written there.
    const elsewhere = join(f.root, 'elsewhere');
    await mkdir(elsewhere, { mode: 0o700 });
    await execa('rm', ['-rf', guestDir]);
    await symlink(elsewhere, guestDir);
    const again = await f.cli(['apply']);
    expect(again.exitCode, again.output).toBe(1);
    expect(again.output).toContain(`${guestDir} is a symbolic link, which qvmctl never writes through; run \`rm ${guestDir}\``);
    expect(await readdir(elsewhere)).toEqual([]);
    expect(await f.journal()).toEqual([]);
  });

  it.each(['/bin/sh', '/usr/bin/mksh'])('the monitor run by %s refuses a console.log that is a symbolic link and does not run qvm', async (shell) => {
    const f = (fleet = await createCrashFleet());
    const dir = join(f.root, 'guest');
    await mkdir(dir, { mode: 0o700 });
    const script = join(f.root, 'monitor.sh');
    await writeFile(script, MONITOR_SCRIPT, { mode: 0o700 });
    const target = join(f.root, 'precious');
    await writeFile(target, 'precious\n');
    await symlink(target, join(dir, 'console.log'));
    const r = await execa(shell, [script, dir, '1-ab', 'sh', '-c', `echo ran; touch ${f.root}/qvm-ran`], { reject: false });
    expect(r.exitCode).toBe(70);
    expect(r.stderr).toContain(`${dir}/console.log is a symbolic link; not running qvm`);
    expect(await readFile(target, 'utf8')).toBe('precious\n');
    expect(await readdir(dir)).toEqual(['console.log']);
    expect(await readdir(f.root)).not.toContain('qvm-ran');
  });

  it('plan, status and shutdown --dry-run on a valid state directory change no mode and no file', async () => {
    const f = (fleet = await createCrashFleet());
    await f.writeGuest('base');
    await f.writeGuest('app', { state: 'stopped' });
    const up = await f.cli(['apply']);
    expect(up.exitCode, up.output).toBe(0);
    // Readable by others, not writable: trusted, and not what qvmctl itself would make it.
    await chmod(f.stateDir, 0o755);
    await chmod(join(f.stateDir, 'guests'), 0o755);
    await f.writeGuest('app');
    const before = await snapshot(join(f.stateDir, 'guests', 'app')).catch(() => ({}));
    const modes = async (): Promise<string[]> => {
      const all = await snapshot(f.stateDir);
      // console.log grows while the guest runs: compare modes and owners of every path, not contents.
      return Object.entries(all).map(([p, v]) => `${p} ${v.split(' ').slice(0, 2).join(' ')}`).sort();
    };
    const was = await modes();
    for (const args of [['plan'], ['status'], ['shutdown', '--dry-run']]) {
      const r = await f.cli(args);
      expect(r.exitCode, r.output).not.toBe(1);
      expect(await modes(), args.join(' ')).toEqual(was);
    }
    expect(await snapshot(join(f.stateDir, 'guests', 'app')).catch(() => ({}))).toEqual(before);
    expect((await stat(f.stateDir)).mode & 0o777).toBe(0o755);
  });
});
