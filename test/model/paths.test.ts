// The one "is this path inside that directory" rule of every layer.
import { describe, expect, it } from 'vitest';
import { isInside } from '../../src/model/paths.js';

describe('isInside', () => {
  it('holds for the directory itself and what lies below it', () => {
    expect(isInside('/srv/manifests', '/srv/manifests')).toBe(true);
    expect(isInside('/srv/manifests/a.yaml', '/srv/manifests')).toBe(true);
    expect(isInside('/srv/manifests/sub/a.yaml', '/srv/manifests/')).toBe(true);
    expect(isInside('/srv/manifests/..data/a.yaml', '/srv/manifests')).toBe(true);
    expect(isInside('/etc/passwd', '/')).toBe(true);
  });

  it('does not hold for a sibling whose name begins with the directory\'s, nor above it', () => {
    expect(isInside('/srv/manifests-old/a.yaml', '/srv/manifests')).toBe(false);
    expect(isInside('/srv', '/srv/manifests')).toBe(false);
    expect(isInside('/srv/manifests/../other/a.yaml', '/srv/manifests')).toBe(false);
  });
});
