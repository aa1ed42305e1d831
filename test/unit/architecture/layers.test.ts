/**
 * The layering of src/, written down once and checked on every run. Each entry of LAYERS is one
 * layer, lowest first; a module is a folder of src/ or a file at its top (only index.ts, which nothing imports, so
 * src/ itself never takes part in a cycle between folders). A module may import
 * from its own folder and from any lower layer, never from its own layer's other modules or from
 * above. workers/ holds thread entry points and sits just under the public index. Separately,
 * no file may take part in an import cycle: two files that need each other at run time cannot be
 * understood, loaded or moved one without the other. Type-only imports are erased and may be
 * mutual (a plan node holds expressions and a subquery expression holds a plan).
 *
 * The read path goes frame → optimizer → sql → reader (workers/read-partition) → local; the load
 * path loader → writer → db. A new folder fails here until it is given a layer.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const LAYERS: readonly (readonly string[])[] = [
  ['base'],
  ['values', 'runtime'],
  ['plan', 'functions'],
  ['sql'],
  ['db'],
  ['config', 'optimizer', 'local'],
  ['reader', 'writer'],
  ['loader'],
  ['frame'],
  ['ml', 'stack'],
  ['http'],
  ['cli'],
  ['workers'],
  ['index.ts'],
];

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return files(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

/** The module a file belongs to: its folder under src/, its own name at the top, or workers. */
function moduleOf(file: string): string {
  const relative = path.relative(ROOT, file).split(path.sep);
  if (relative[0] === 'workers') return 'workers';
  return relative[1]!;
}

/**
 * Relative imports and re-exports of a file (static and dynamic), resolved to absolute paths;
 * without `import type` statements when `runtimeOnly`.
 */
function importsOf(file: string, runtimeOnly = false): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/^\s*(import|export)\b(\s+type\b)?[^;]*?\bfrom\s+'(\.[^']+)'/gm)) {
    if (!(runtimeOnly && match[1] === 'import' && match[2])) found.push(match[3]!);
  }
  for (const match of text.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g)) found.push(match[1]!);
  return found.map((specifier) => path.resolve(path.dirname(file), specifier));
}

const sources = [...files(path.join(ROOT, 'src')), ...files(path.join(ROOT, 'workers'))];
const layerOf = new Map(LAYERS.flatMap((modules, index) => modules.map((name) => [name, index] as const)));

describe('architecture', () => {
  it('gives every module of src/ a layer', () => {
    const modules = new Set(sources.map(moduleOf));
    expect([...modules].filter((name) => !layerOf.has(name)).sort()).toEqual([]);
  });

  it('has no import that goes up a layer or sideways to another module of the same layer', () => {
    const wrong: string[] = [];
    for (const file of sources) {
      const from = moduleOf(file);
      for (const target of importsOf(file)) {
        const to = moduleOf(target);
        if (to === from) continue;
        if ((layerOf.get(to) ?? Infinity) >= (layerOf.get(from) ?? -1)) {
          wrong.push(`${path.relative(ROOT, file)} imports ${path.relative(ROOT, target)} (${from} → ${to})`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('has no run-time import cycle between files', () => {
    const graph = new Map(sources.map((file) => [file, importsOf(file, true)]));
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, trail: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        const cycle = trail.slice(trail.indexOf(file)).concat(file);
        cycles.push(cycle.map((each) => path.relative(ROOT, each)).join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) if (graph.has(next)) visit(next, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of sources) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('throws only errors from the catalog (src/base/errors.ts), never a bare Error', () => {
    const bare = sources.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, index) =>
          /\bthrow new Error\(/.test(line) ? [`${path.relative(ROOT, file)}:${index + 1}`] : [],
        ),
    );
    expect(bare).toEqual([]);
  });
});
