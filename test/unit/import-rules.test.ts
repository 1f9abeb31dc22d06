import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The import structure, measured from the code (docs/architecture.md): which folder may import
 * which, and no file that reaches itself through its imports. Reads every static and dynamic
 * relative import of src/ and ui/src/ as text.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

/** file → the files it imports (repository-relative paths). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of [...sources('src'), ...sources('ui/src')]) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    graph.set(
      file,
      [...text.matchAll(IMPORT)].map((m) => relative(ROOT, resolve(ROOT, dirname(file), m[1]!))),
    );
  }
  return graph;
}

const graph = importGraph();
/** The top folder of a source file under src/ (`core`, `server`…), or `ui`. */
const layer = (file: string) => (file.startsWith('ui/') ? 'ui' : file.split('/')[1]!);

/** Every import from a file of `from` that lands outside `allowed`. */
function crossings(from: string, allowed: string[]): string[] {
  const out: string[] = [];
  for (const [file, imports] of graph) {
    if (layer(file) !== from) continue;
    for (const target of imports) if (!allowed.includes(layer(target))) out.push(`${file} -> ${target}`);
  }
  return out;
}

describe('import rules', () => {
  it('reads the imports it checks (the graph is not empty, and it sees a known import)', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('src/protocol/client-messages.ts')).toContain('src/protocol/json-bounds.ts');
  });

  it('protocol/ is the ground floor: it imports nothing of ours above it', () => {
    expect(crossings('protocol', ['protocol'])).toEqual([]);
  });

  it('the SDKs stand on protocol/ alone', () => {
    expect(crossings('sdk', ['sdk', 'protocol'])).toEqual([]);
  });

  it('core/ imports protocol/ alone: it owns the port engines implement', () => {
    expect(crossings('core', ['core', 'protocol'])).toEqual([]);
  });

  it('engines are adapters: they import core/ and protocol/ only (and runtime/, to start their own process)', () => {
    expect(crossings('engine', ['engine', 'core', 'protocol', 'runtime'])).toEqual([]);
  });

  it('wire/ turns bytes into messages and back, knowing only protocol/', () => {
    expect(crossings('wire', ['wire', 'protocol'])).toEqual([]);
  });

  it('nothing imports dialects/ but the CLI and the package entry (src/index.ts)', () => {
    const intruders = [...graph].flatMap(([file, imports]) =>
      !['cli', 'dialects', 'index.ts'].includes(layer(file)) ? imports.filter((t) => layer(t) === 'dialects').map((t) => `${file} -> ${t}`) : [],
    );
    expect(intruders).toEqual([]);
  });

  it('no file reaches itself through its imports (no circles)', () => {
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (file: string) => {
      state.set(file, 'open');
      path.push(file);
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === 'open') circles.push([...path.slice(path.indexOf(next)), next].join(' -> '));
        else if (!state.has(next) && graph.has(next)) visit(next);
      }
      path.pop();
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file);
    expect(circles).toEqual([]);
  });
});
