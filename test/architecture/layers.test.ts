// The dependency rules of docs/architecture.md, checked on the imports of src/.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** Which layers each layer may import (besides itself). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  model: [],
  qvmconf: ['model'],
  manifest: ['model', 'qvmconf'],
  planner: ['model'],
  runtime: ['model', 'qvmconf'],
  executor: ['model', 'planner', 'runtime'],
  render: ['model', 'planner'],
  ui: ['model', 'planner', 'executor', 'render'],
  daemon: ['model', 'manifest', 'planner', 'runtime', 'executor', 'render', 'ui'],
  release: ['model', 'manifest', 'planner', 'runtime', 'executor', 'render'],
  cli: ['model', 'qvmconf', 'manifest', 'planner', 'runtime', 'executor', 'render', 'daemon', 'ui', 'release'],
  sim: ['qvmconf'],
};

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g), ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)]
    .map((m) => m[1] ?? '')
    .filter((spec) => spec.startsWith('.'));
}

function layerOf(path: string): string {
  return relative(SRC, path).split('/')[0] ?? '';
}

describe('layering', () => {
  const files = listFiles(SRC);

  it('knows every folder of src/', () => {
    const unknown = [...new Set(files.map(layerOf))].filter((layer) => !(layer in ALLOWED));
    expect(unknown).toEqual([]);
  });

  it('keeps the web view\'s page (web/) to its own modules: nothing of src/ reaches the browser', () => {
    const web = resolve(import.meta.dirname, '../../web');
    const outside = readdirSync(web).filter((name) => name.endsWith('.ts')).flatMap((name) => [...readFileSync(join(web, name), 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)]
      .map((m) => m[1] ?? m[2] ?? '')
      .filter((spec) => !/^\.\/[a-z-]+\.js$/.test(spec))
      .map((spec) => `web/${name} imports ${spec}`));
    expect(outside).toEqual([]);
  });

  it('imports only downwards', () => {
    const violations = files.flatMap((file) => {
      const from = layerOf(file);
      return importsOf(file)
        .map((spec) => layerOf(resolve(dirname(file), spec)))
        .filter((to) => to !== from && !(ALLOWED[from] ?? []).includes(to))
        .map((to) => `${relative(SRC, file)} imports ${to}/`);
    });
    expect(violations).toEqual([]);
  });
});
