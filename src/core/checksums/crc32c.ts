/**
 * CRC-32C (Castagnoli; the checksum S3 calls CRC32C): reflected polynomial 0x82F63B78, initial value and final
 * XOR all ones. Node's zlib only has the IEEE CRC-32, so this small table-driven one fills the gap; four tables
 * consume four bytes per step.
 */
const POLY = 0x82f63b78;

function buildTables(): Uint32Array[] {
  const first = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    first[i] = c >>> 0;
  }
  const tables = [first];
  for (let t = 1; t < 4; t++) {
    const previous = tables[t - 1]!;
    const next = new Uint32Array(256);
    for (let i = 0; i < 256; i++) next[i] = ((previous[i]! >>> 8) ^ first[previous[i]! & 0xff]!) >>> 0;
    tables.push(next);
  }
  return tables;
}

/** Derived from the polynomial alone: a constant, computed when the module loads. */
const TABLES = buildTables();

export class Crc32c {
  private crc = 0xffffffff;

  update(data: Uint8Array): void {
    const [T0, T1, T2, T3] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
    let crc = this.crc;
    const n = data.length;
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      crc ^= data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
      crc = T3[crc & 0xff]! ^ T2[(crc >>> 8) & 0xff]! ^ T1[(crc >>> 16) & 0xff]! ^ T0[crc >>> 24]!;
    }
    for (; i < n; i++) crc = (crc >>> 8) ^ T0[(crc ^ data[i]!) & 0xff]!;
    this.crc = crc >>> 0;
  }

  /** The checksum as S3 transmits it: 4 bytes big-endian. */
  digest(): Buffer {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(~this.crc >>> 0);
    return out;
  }
}
