/**
 * CRC-64/NVME (the checksum S3 calls CRC64NVME): reflected polynomial 0x9A6C9329AC4BC9B5, initial value and final
 * XOR all ones. The 64-bit state is kept as two 32-bit halves and eight lookup tables consume eight bytes per step
 * ("slicing by 8"), which runs at a few hundred MB/s without BigInt in the loop.
 */
const POLY = 0x9a6c9329ac4bc9b5n;

interface Tables {
  lo: Uint32Array[];
  hi: Uint32Array[];
}

function buildTables(): Tables {
  const first = new BigUint64Array(256);
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ POLY : c >> 1n;
    first[i] = c;
  }
  const wide = [first];
  for (let t = 1; t < 8; t++) {
    const previous = wide[t - 1]!;
    const next = new BigUint64Array(256);
    for (let i = 0; i < 256; i++) next[i] = (previous[i]! >> 8n) ^ first[Number(previous[i]! & 0xffn)]!;
    wide.push(next);
  }
  const lo = wide.map((table) => Uint32Array.from(table, (v) => Number(v & 0xffffffffn)));
  const hi = wide.map((table) => Uint32Array.from(table, (v) => Number(v >> 32n)));
  return { lo, hi };
}

/** Derived from the polynomial alone: a constant, computed when the module loads (a few milliseconds). */
const TABLES = buildTables();

export class Crc64Nvme {
  private lo = 0xffffffff;
  private hi = 0xffffffff;

  update(data: Uint8Array): void {
    const { lo: L, hi: H } = TABLES;
    const [L0, L1, L2, L3, L4, L5, L6, L7] = L as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
    const [H0, H1, H2, H3, H4, H5, H6, H7] = H as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
    let lo = this.lo;
    let hi = this.hi;
    const n = data.length;
    let i = 0;
    for (; i + 8 <= n; i += 8) {
      const a = (lo ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
      const b = (hi ^ (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24))) >>> 0;
      lo = (L7[a & 0xff]! ^ L6[(a >>> 8) & 0xff]! ^ L5[(a >>> 16) & 0xff]! ^ L4[a >>> 24]! ^ L3[b & 0xff]! ^ L2[(b >>> 8) & 0xff]! ^ L1[(b >>> 16) & 0xff]! ^ L0[b >>> 24]!) >>> 0;
      hi = (H7[a & 0xff]! ^ H6[(a >>> 8) & 0xff]! ^ H5[(a >>> 16) & 0xff]! ^ H4[a >>> 24]! ^ H3[b & 0xff]! ^ H2[(b >>> 8) & 0xff]! ^ H1[(b >>> 16) & 0xff]! ^ H0[b >>> 24]!) >>> 0;
    }
    for (; i < n; i++) {
      const index = (lo ^ data[i]!) & 0xff;
      lo = (((lo >>> 8) | (hi << 24)) ^ L0[index]!) >>> 0;
      hi = ((hi >>> 8) ^ H0[index]!) >>> 0;
    }
    this.lo = lo;
    this.hi = hi;
  }

  /** The checksum as S3 transmits it: 8 bytes big-endian. */
  digest(): Buffer {
    const out = Buffer.alloc(8);
    out.writeUInt32BE(~this.hi >>> 0, 0);
    out.writeUInt32BE(~this.lo >>> 0, 4);
    return out;
  }
}
