import { newDigester, type Algorithm, type Digester } from './algorithms.js';

/** What to compute in one read of a file: whole-file digests, and per-part digests for given part sizes. */
export interface HashRequest {
  whole: Algorithm[];
  parts?: { sizes: number[]; algorithms: Algorithm[] };
}

export interface HashResult {
  size: number;
  whole: Partial<Record<Algorithm, Buffer>>;
  parts: Partial<Record<Algorithm, Buffer[]>>;
}

/** Feeds a byte stream to every requested digester, cutting parts at the given sizes. */
export class MultiDigest {
  private readonly whole: [Algorithm, Digester][];
  private readonly partAlgorithms: Algorithm[];
  private readonly partSizes: number[];
  private current: [Algorithm, Digester][] = [];
  private readonly partDigests: Partial<Record<Algorithm, Buffer[]>> = {};
  private partIndex = 0;
  private partLeft = 0;
  size = 0;

  constructor(request: HashRequest) {
    this.whole = [...new Set(request.whole)].map((a) => [a, newDigester(a)]);
    this.partAlgorithms = [...new Set(request.parts?.algorithms ?? [])];
    this.partSizes = request.parts?.sizes ?? [];
    for (const a of this.partAlgorithms) this.partDigests[a] = [];
    this.startPart();
  }

  update(data: Uint8Array): void {
    this.size += data.length;
    for (const [, d] of this.whole) d.update(data);
    if (this.partAlgorithms.length === 0) return;
    let offset = 0;
    while (offset < data.length) {
      // Bytes beyond the last part still count (the size check then fails); they belong to no part.
      if (this.partLeft === 0 && !this.nextPart()) return;
      const take = Math.min(this.partLeft, data.length - offset);
      const slice = data.subarray(offset, offset + take);
      for (const [, d] of this.current) d.update(slice);
      this.partLeft -= take;
      offset += take;
    }
  }

  result(): HashResult {
    if (this.partAlgorithms.length > 0 && this.current.length > 0 && this.partIndex < this.partSizes.length) this.closePart();
    const whole: HashResult['whole'] = {};
    for (const [a, d] of this.whole) whole[a] = d.digest();
    return { size: this.size, whole, parts: this.partDigests };
  }

  private startPart(): void {
    if (this.partAlgorithms.length === 0 || this.partIndex >= this.partSizes.length) return;
    this.current = this.partAlgorithms.map((a) => [a, newDigester(a)]);
    this.partLeft = this.partSizes[this.partIndex]!;
  }

  private closePart(): void {
    for (const [a, d] of this.current) this.partDigests[a]!.push(d.digest());
    this.current = [];
    this.partIndex++;
  }

  private nextPart(): boolean {
    if (this.current.length > 0) this.closePart();
    if (this.partIndex >= this.partSizes.length) return false;
    this.startPart();
    return true;
  }
}
