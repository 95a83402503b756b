/**
 * The layout the code keeps: no import cycles (a cycle makes start-up order matter and layers blur), the AWS
 * adapters below the core (aws/ never imports core/), the core below every face (it never imports cli/, ui/ or
 * wizard/), and presenters that never reach for the CLI.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { sources } from './sources.js';

const SRC = join(repoRoot, 'src');
const SPECIFIER = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

/** Every module of src/ and the src/ modules it imports (statically or lazily), as paths relative to src/. */
async function importGraph(): Promise<Map<string, string[]>> {
  const files = await sources(SRC);
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    const targets: string[] = [];
    for (const match of text.matchAll(SPECIFIER)) {
      const spec = (match[1] ?? match[2])!;
      const base = resolve(dirname(file), spec).replace(/\.js$/, '');
      const target = [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')].find((candidate) => known.has(candidate));
      if (target) targets.push(relative(SRC, target));
    }
    graph.set(relative(SRC, file), targets);
  }
  return graph;
}

/** The strongly connected components with more than one module (Tarjan): each is an import cycle. */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

const crossing = (graph: Map<string, string[]>, from: RegExp, to: RegExp): string[] =>
  [...graph].flatMap(([file, targets]) => (from.test(file) ? targets.filter((t) => to.test(t)).map((t) => `${file} → ${t}`) : []));

/** The packages a module loads before any of its code runs: static imports, followed through src/, types aside. */
async function loadedAtStart(entry: string): Promise<Set<string>> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = async (file: string): Promise<void> => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = await readFile(file, 'utf8');
    for (const match of text.matchAll(/^\s*(?:import|export)\s(?!type\s)[^'"]*?from\s*['"]([^'"]+)['"]/gm)) {
      const spec = match[1]!;
      if (!spec.startsWith('.')) {
        if (!spec.startsWith('node:')) packages.add(spec);
        continue;
      }
      const base = resolve(dirname(file), spec).replace(/\.js$/, '');
      for (const candidate of [`${base}.ts`, `${base}.tsx`]) {
        if (await readFile(candidate).then(() => true, () => false)) await visit(candidate);
      }
    }
  };
  await visit(join(SRC, entry));
  return packages;
}

describe('the import graph of src/', () => {
  it('a command line starts with commander alone: the SDK, zod, ink and listr2 load when work needs them (--help stays instant)', async () => {
    for (const entry of ['cli/offsite.ts', 'cli/ec2-backup.ts', 'cli/s3export.ts']) expect([...(await loadedAtStart(entry))], entry).toEqual(['commander']);
  });

  it('has no cycles', async () => {
    expect(cycles(await importGraph())).toEqual([]);
  });

  it('keeps the layers: aws/ and ssh/ below core/, core/ below the faces, ui/ never importing cli/ or wizard/', async () => {
    const graph = await importGraph();
    expect(graph.size).toBeGreaterThan(100);
    expect(crossing(graph, /^(aws|ssh)\//, /^(core|cli|ui|wizard)\//)).toEqual([]);
    expect(crossing(graph, /^core\//, /^(cli|ui|wizard)\//)).toEqual([]);
    expect(crossing(graph, /^ui\//, /^(cli|wizard)\//)).toEqual([]);
  });
});
