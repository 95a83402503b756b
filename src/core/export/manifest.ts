import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { UsageError, type Advice } from '../../errors.js';
import {
  AddressSchema,
  CustomsSchema,
  ExportOperationSchema,
  IMPORT_ONLY_FIELDS,
  ManifestSchema,
  SECRET_FIELDS,
  SnowballBlockSchema,
  type ManifestFields,
} from './manifest-schema.js';

export type FieldPath = readonly (string | number)[];

/** A parsed, schema-checked export manifest. */
export interface ExportManifest {
  /** The path as the operator gave it: every error names it. */
  file: string;
  /** The verbatim text. It holds secrets: it goes to the job service and nowhere else. */
  text: string;
  fields: ManifestFields;
  /** 1-based line of a field, or of its nearest enclosing field when it is missing. */
  lineOf(path: FieldPath): number;
  /** Secret values (trueCryptPassword, pinCode) to scrub from anything shown. */
  secrets: string[];
}

/** A manifest problem: `<file>:<line>: <field>: <problem>`, exit 2. */
export class ManifestError extends UsageError {
  constructor(message: string, advice?: Advice) {
    super(message, advice);
    this.name = 'ManifestError';
  }
}

const MAX_MANIFEST_BYTES = 1024 * 1024;

/** Reads and checks a manifest; a relative path is taken from `cwd`, as the original did. */
export async function readManifest(path: string, cwd = process.cwd()): Promise<ExportManifest> {
  const full = isAbsolute(path) ? path : resolve(cwd, path);
  const info = await stat(full).catch(() => undefined);
  if (!info) throw new UsageError(`${path}: no such manifest file`);
  if (!info.isFile()) throw new UsageError(`${path}: the manifest must be a file`);
  if (info.size === 0) throw new ManifestError(`${path}:1: the manifest is empty`);
  if (info.size > MAX_MANIFEST_BYTES) throw new ManifestError(`${path}:1: the manifest is larger than 1 MiB; is this the right file?`);
  const bytes = await readFile(full);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ManifestError(`${path}:1: the manifest is not UTF-8 text`);
  }
  return parseManifest(text, path);
}

export function parseManifest(text: string, file: string): ExportManifest {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { schema: 'failsafe', lineCounter, uniqueKeys: true, prettyErrors: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = syntax.linePos?.[0].line ?? 1;
    throw new ManifestError(`${file}:${line}: not valid YAML: ${syntax.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  if (!isMap(doc.contents)) throw new ManifestError(`${file}:1: the manifest must be a mapping of fields (manifestVersion: 2.0, accessKeyId: …)`);
  const raw: unknown = doc.toJS();
  const lineOf = (path: FieldPath): number => lineCounter.linePos(offsetOf(doc, path)).line;
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => describeIssue(issue, raw));
    const first = problems.map((p) => ({ ...p, line: lineOf(p.path) })).sort((a, b) => a.line - b.line)[0]!;
    throw new ManifestError(`${file}:${first.line}: ${formatPath(first.path)}: ${first.problem}`);
  }
  const fields = parsed.data;
  const secrets = SECRET_FIELDS.map((name) => fields[name]).filter((v): v is string => typeof v === 'string' && v !== '');
  return { file, text, fields, lineOf, secrets };
}

/** An error about one field, with its line. */
export function fieldError(manifest: ExportManifest, path: FieldPath, problem: string, advice?: Advice): ManifestError {
  return new ManifestError(`${manifest.file}:${manifest.lineOf(path)}: ${formatPath(path)}: ${problem}`, advice);
}

/**
 * The text for Import/Export CreateJob: verbatim, except that our own `snowball:` block (which the classic
 * service would reject as an unknown field) is taken out.
 */
export function classicManifestText(manifest: ExportManifest): string {
  if (manifest.fields.snowball === undefined) return manifest.text;
  const doc = parseDocument(manifest.text, { schema: 'failsafe' });
  doc.delete('snowball');
  return String(doc);
}

export function formatPath(path: FieldPath): string {
  return path.reduce<string>((out, seg) => (typeof seg === 'number' ? `${out}[${seg}]` : out ? `${out}.${seg}` : seg), '');
}

/** Source offset of the deepest existing node on `path` (keys point at the key, list items at the item). */
function offsetOf(doc: Document, path: FieldPath): number {
  let node: unknown = doc.contents;
  let offset = 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      offset = (isScalar(pair.key) ? pair.key.range?.[0] : undefined) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as { range?: [number, number, number] } | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset;
}

function valueAt(raw: unknown, path: FieldPath): unknown {
  let value = raw;
  for (const seg of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[seg];
  }
  return value;
}

type Issue = z.core.$ZodIssue;

/** Our wording for a schema issue; never quotes the value, which may be a secret. */
function describeIssue(issue: Issue, raw: unknown): { path: FieldPath; problem: string } {
  const path = issue.path.filter((seg): seg is string | number => typeof seg !== 'symbol');
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0]!;
      return { path: [...path, key], problem: unknownFieldProblem(path, key) };
    }
    case 'invalid_type': {
      const actual = valueAt(raw, path);
      if (actual === undefined) return { path, problem: 'is required' };
      if (issue.expected === 'array') return { path, problem: 'must be a list (lines starting with "- ")' };
      if (issue.expected === 'object') return { path, problem: 'must be a mapping of fields' };
      if (Array.isArray(actual)) return { path, problem: 'must be a single value, not a list (a [placeholder] from the template?)' };
      if (typeof actual === 'object') return { path, problem: 'must be a single value, not a mapping' };
      return { path, problem: `must be ${issue.expected}` };
    }
    case 'invalid_value':
      return { path, problem: `must be one of ${issue.values.map(String).join(', ')}` };
    default:
      return { path, problem: issue.message };
  }
}

const KNOWN: Record<string, readonly string[]> = {
  '': Object.keys(ManifestSchema.shape),
  operations: Object.keys(ExportOperationSchema.shape),
  returnAddress: Object.keys(AddressSchema.shape),
  customs: Object.keys(CustomsSchema.shape),
  snowball: Object.keys(SnowballBlockSchema.shape),
};

function unknownFieldProblem(parent: FieldPath, key: string): string {
  if (parent.length === 0 && IMPORT_ONLY_FIELDS.has(key)) return 'is a field of import manifests; an export manifest names its buckets under operations:';
  const known = KNOWN[String(parent.find((seg) => typeof seg === 'string') ?? '')];
  const near = known?.find((k) => k.toLowerCase() === key.toLowerCase() || editDistance(k, key) <= 2);
  const where = parent.length === 0 ? 'an export manifest' : `${formatPath(parent)}`;
  return `is not a field of ${where}${near ? ` (did you mean ${near}?)` : ''}`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
