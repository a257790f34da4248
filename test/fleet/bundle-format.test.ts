// The bundle format (docs/fleet.md, "The bundle format"): deterministic, content-addressed, and a
// reader that refuses what it must, each with one short reason.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BUNDLE_META, BundleError, digestOf, MAX_BUNDLE_BYTES, readBundle, writeBundle, type BundleFile } from '../../src/release/bundle.js';
import { writeTar } from '../../src/release/tar.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

const FILES: readonly BundleFile[] = [
  { path: 'svc.yaml', data: Buffer.from('kind: Guest\n') },
  { path: 'host.yaml', data: Buffer.from('kind: Host\n') },
  { path: 'guests/cluster.qvmconf', data: Buffer.from('system cluster\nram 0x80000000,64M\n') },
];
const REVISION = { commit: 'a'.repeat(40), dirty: false };

let tmp: string | undefined;
afterEach(async () => {
  if (tmp !== undefined) await removeDir(tmp);
  tmp = undefined;
});

function refused(bytes: Buffer): string {
  try {
    readBundle(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(BundleError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected the bundle to be refused');
}

// A hand-made archive: the listing of `files`, then the entries given (for tampering).
function archive(files: readonly BundleFile[], entries: readonly { path: string; data: Buffer }[], digest?: string): Buffer {
  const listing = files.map((f) => ({ path: f.path, size: f.data.length, sha256: createHash('sha256').update(f.data).digest('hex') }));
  const meta = { format: 'qvmctl-bundle/1', digest: digest ?? digestOf(listing), revision: null, files: listing };
  return writeTar([{ path: BUNDLE_META, data: Buffer.from(JSON.stringify(meta)) }, ...entries]);
}

describe('writing a bundle', () => {
  it('gives the same bytes for the same files, in whatever order they come', () => {
    const a = writeBundle(FILES, REVISION);
    const b = writeBundle([...FILES].reverse(), REVISION);
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(a.meta.files.map((f) => f.path)).toEqual(['guests/cluster.qvmconf', 'host.yaml', 'svc.yaml']);
  });

  it('names the content: the digest does not depend on the revision, and changes with any byte', () => {
    const a = writeBundle(FILES, REVISION);
    const b = writeBundle(FILES, { commit: 'b'.repeat(40), dirty: true });
    expect(b.meta.digest).toBe(a.meta.digest);
    expect(b.bytes.equals(a.bytes)).toBe(false);
    const changed = writeBundle([...FILES.slice(0, 2), { path: 'guests/cluster.qvmconf', data: Buffer.from('system cluster\nram 0x80000000,65M\n') }], REVISION);
    expect(changed.meta.digest).not.toBe(a.meta.digest);
    expect(a.meta.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('reads back what it wrote, revision included', () => {
    const { bytes, meta } = writeBundle(FILES, REVISION);
    const read = readBundle(bytes);
    expect(read.meta).toEqual(meta);
    expect(read.files.map((f) => [f.path, f.data.toString()])).toEqual([...FILES].sort((x, y) => (x.path < y.path ? -1 : 1)).map((f) => [f.path, f.data.toString()]));
  });

  it('is an archive tar lists and unpacks without a warning, with neutral owners and times', async () => {
    tmp = await makeTempDir('bundle-tar');
    const file = join(tmp, 'x.qvmb');
    writeFileSync(file, writeBundle(FILES, REVISION).bytes);
    const list = spawnSync('tar', ['-tvf', file], { encoding: 'utf8' });
    expect(list.stderr).toBe('');
    expect(list.stdout).toMatch(/^-rw-r--r-- 0\/0 .* 1970-01-01 00:00 qvmctl-bundle\.json$/m);
    expect(list.stdout).toContain('manifests/guests/cluster.qvmconf');
    const x = spawnSync('tar', ['-xf', file, '-C', tmp], { encoding: 'utf8' });
    expect(x.status, x.stderr).toBe(0);
  });

  it('keeps a long path in the header prefix, and refuses one no header can hold', () => {
    const deep = `${'d'.repeat(90)}/${'e'.repeat(90)}/f.qvmconf`;
    const read = readBundle(writeBundle([{ path: deep, data: Buffer.from('x') }], null).bytes);
    expect(read.files[0]?.path).toBe(deep);
    expect(() => writeBundle([{ path: `${'d'.repeat(300)}.yaml`, data: Buffer.from('x') }], null)).toThrow(/longer than/);
    expect(() => writeBundle([{ path: '../x.yaml', data: Buffer.from('x') }], null)).toThrow(/leave the bundle/);
  });
});

describe('reading a bundle refuses', () => {
  const good = (): BundleFile[] => [{ path: 'a.yaml', data: Buffer.from('a: 1\n') }];

  it.each([
    ['../etc/passwd', /`\.\.` in the path/],
    ['/etc/passwd', /outside manifests\//],
    ['guests/../../x', /`\.\.` in the path/],
  ])('a path that leaves the bundle (%s), with one line', (path, reason) => {
    const bytes = archive(good(), [{ path: path.startsWith('/') ? path : `manifests/${path}`, data: Buffer.from('a: 1\n') }]);
    expect(refused(bytes)).toMatch(reason);
  });

  it('a listing that names a path outside the bundle', () => {
    const listing = [{ path: '../../x', size: 1, sha256: '0'.repeat(64) }];
    const meta = { format: 'qvmctl-bundle/1', digest: digestOf(listing), revision: null, files: listing };
    expect(refused(writeTar([{ path: BUNDLE_META, data: Buffer.from(JSON.stringify(meta)) }]))).toMatch(/lists "..\/..\/x": a `\.\.`/);
  });

  it('a file whose bytes differ from the listing, and a listing whose digest is wrong', () => {
    const files = good();
    expect(refused(archive(files, [{ path: 'manifests/a.yaml', data: Buffer.from('a: 2\n') }]))).toMatch(/differs from its listing \(damaged or altered\)/);
    expect(refused(archive(files, [{ path: 'manifests/a.yaml', data: files[0]?.data ?? Buffer.alloc(0) }], `sha256:${'1'.repeat(64)}`))).toMatch(/its digest is sha256:1{64} but its files give sha256:/);
  });

  it('a file not listed, and a listed file that is missing', () => {
    const files = good();
    expect(refused(archive(files, [{ path: 'manifests/a.yaml', data: files[0]?.data ?? Buffer.alloc(0) }, { path: 'manifests/b.yaml', data: Buffer.from('b') }]))).toMatch(/manifests\/b\.yaml is not in the listing/);
    expect(refused(archive(files, []))).toMatch(/listed but missing: a\.yaml/);
  });

  it('an entry that is not a regular file', () => {
    const bytes = Buffer.from(writeBundle(good(), null).bytes);
    // The file's header (its name field starts the header) becomes a symbolic link's.
    const second = bytes.indexOf('manifests/a.yaml');
    expect(second % 512).toBe(0);
    bytes[second + 156] = '2'.charCodeAt(0);
    let sum = 0;
    for (let i = 0; i < 512; i += 1) sum += i >= 148 && i < 156 ? 32 : (bytes[second + i] ?? 0);
    bytes.write(`${sum.toString(8).padStart(6, '0')}\0 `, second + 148, 'ascii');
    expect(refused(bytes)).toMatch(/"manifests\/a\.yaml" is a symbolic link: only regular files are read/);
  });

  it('a damaged header, a cut-short archive, data after the end, and what is no bundle at all', () => {
    const bytes = writeBundle(good(), null).bytes;
    const damaged = Buffer.from(bytes);
    damaged[10] = (damaged[10] ?? 0) ^ 0xff;
    expect(refused(damaged)).toMatch(/wrong checksum \(damaged\)/);
    expect(refused(bytes.subarray(0, bytes.length - 1024))).toMatch(/cut short/);
    expect(refused(Buffer.concat([bytes, Buffer.from('trailing')]))).toMatch(/data after the end of the archive/);
    expect(refused(Buffer.from('hello, world'))).toMatch(/empty or not a tar archive/);
    expect(refused(writeTar([{ path: 'README', data: Buffer.from('x') }]))).toMatch(/not a qvmctl bundle/);
  });

  it('more than the size a bundle may have, before looking inside', () => {
    expect(refused(Buffer.alloc(MAX_BUNDLE_BYTES + 1))).toMatch(/more than the 16777216 a bundle may have/);
  });

  it('a file over 1 MiB', () => {
    const big = { path: 'big.yaml', data: Buffer.alloc(1024 * 1024 + 1, 0x61) };
    expect(() => writeBundle([big], null)).toThrow(/more than the 1048576/);
    expect(refused(archive([big], [{ path: 'manifests/big.yaml', data: big.data }]))).toMatch(/"manifests\/big\.yaml" is 1048577 bytes, more than the 1048576 a file may have/);
  });
});
