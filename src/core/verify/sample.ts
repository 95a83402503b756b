import { createHash } from 'node:crypto';
import type { SampleSpec } from './plan.js';

export function describeSample(spec: SampleSpec): string {
  const what = spec.mode === 'all' ? 'all files' : spec.mode === 'percent' ? `${spec.value}% of the files` : `${spec.value} files`;
  return `${what}${spec.slice ? ` of slice ${spec.slice.index}/${spec.slice.total}` : ''}`;
}

/**
 * A path's random key under a seed, in [0, 2^48): the same seed gives the same keys, in any listing order. Two
 * 32-bit multiply/xor-shift lanes over the path's UTF-16 code units, seeded from SHA-256 of the seed and finished
 * with an avalanche step. Not cryptographic (nobody chooses file names to steer a sample), but about fifty times
 * cheaper than an HMAC per path, which mattered: keys were most of the time spent listing 100 000 files.
 */
export function keyHasher(seed: string): (path: string) => number {
  const digest = createHash('sha256').update(seed).digest();
  const a0 = digest.readUInt32BE(0);
  const b0 = digest.readUInt32BE(4);
  return (path) => {
    let a = a0;
    let b = b0;
    for (let i = 0; i < path.length; i++) {
      const c = path.charCodeAt(i);
      a = Math.imul(a ^ c, 0x9e3779b1);
      a ^= a >>> 15;
      b = Math.imul(b ^ c, 0x85ebca77);
      b ^= b >>> 13;
    }
    a = avalanche(a ^ path.length);
    b = avalanche(b ^ a);
    return a * 0x10000 + (b >>> 16);
  };
}

function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Slices hash the path alone (a fixed seed), so a file's slice never moves as other files come and go. */
const SLICE_KEY = keyHasher('offsite verify --slice');

/** The slice a path belongs to (1-based). */
export function sliceOf(path: string, total: number): number {
  return (SLICE_KEY(path) % total) + 1;
}

const KEY_SPACE = 2 ** 48;

/**
 * Chooses files as they are listed. A uniform sample of N is the N paths with the smallest keys (reservoir
 * sampling by random keys): every subset of N is equally likely, and since keys depend on the path and the seed
 * only, concurrent listing in any order gives the same sample. P% keeps each file whose key falls in the lowest
 * P% of the key space, so the choice is made at once and hashing can start while the listing goes on.
 */
export class SampleSelector {
  private reservoir: { key: number; path: string }[] = [];
  private readonly key: (path: string) => number;

  constructor(private readonly spec: SampleSpec) {
    this.key = keyHasher(spec.seed);
  }

  /** In this run's slice (always, without --slice). */
  inScope(path: string): boolean {
    return !this.spec.slice || sliceOf(path, this.spec.slice.total) === this.spec.slice.index;
  }

  /** True when the file is chosen right away; a counted sample is only known at the end (`finish`). */
  offer(path: string): boolean {
    if (!this.inScope(path)) return false;
    if (this.spec.mode === 'all') return true;
    const key = this.key(path);
    if (this.spec.mode === 'percent') return key < (KEY_SPACE * this.spec.value!) / 100;
    this.reservoir.push({ key, path });
    if (this.reservoir.length >= 2 * this.spec.value! + 1024) this.trim();
    return false;
  }

  /** The counted sample, in path order. */
  finish(): string[] {
    if (this.spec.mode !== 'count') return [];
    this.trim();
    return this.reservoir.map((entry) => entry.path).sort();
  }

  private trim(): void {
    this.reservoir.sort((a, b) => a.key - b.key || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    this.reservoir.length = Math.min(this.reservoir.length, this.spec.value!);
  }
}
