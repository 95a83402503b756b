import { OffsiteError } from '../../errors.js';
import { shellQuote } from '../../ssh/quote.js';

/**
 * The dd proof, read back while the image is still being written. The instance-side script takes the stream in
 * segments: dd writes a segment with O_DIRECT (so it is on the device when dd returns, with no copy through the
 * instance's page cache), then a reader reads that segment straight off the device with O_DIRECT while dd writes
 * the next one. The readers run one after another into a single hasher, so the instance ends with the SHA-256 of
 * the whole image as the device holds it, which must equal the stream's, hashed locally as it passed. Only the
 * last segment's read-back is left when the stream ends, and each side hashes the image once.
 */

/** 64 MiB: at most that much is read back after the stream ends; a 1 TiB image makes 16 384 segments. */
export const SEGMENT_BYTES = 64 * 1024 * 1024;
const BLOCK = 4 * 1024 * 1024;

/** Printed on stderr by the scripts when dd or the flush failed (their own messages come first). */
export const READ_FAILED = 'offsite: read-back failed';
export const FLUSH_FAILED = 'offsite: flush failed';

/** OpenSSL's SHA-256 where the instance has it: it uses the CPU's SHA instructions, several times faster than sha256sum. */
const HASHER = `if command -v openssl > /dev/null 2>&1; then hash='openssl dgst -sha256 -r'; else hash=sha256sum; fi`;

/**
 * Shell (after HASHER) that writes `count` bytes from `offset` of the device to stdout, read with O_DIRECT: the
 * bytes come from the device, not from a page cache. O_DIRECT reads whole logical blocks: where `count` is not a
 * whole number of them, dd reads up to the next 4 KiB and `head` cuts the bytes out (cat drains the rest, so dd
 * never dies of a closed pipe). `offset`, `count` may be shell expressions.
 */
function directRead(dev: string, offset: string, count: string): string {
  const dd = (n: string): string => `dd if=${dev} iflag=direct,skip_bytes,count_bytes skip=${offset} count=${n} bs=4M status=none || echo '${READ_FAILED}' >&2`;
  const exact = dd(count);
  const rounded = `{ ${dd(`$(( (${count} + 4095) / 4096 * 4096 ))`)}; } | { head -c ${count}; cat > /dev/null; }`;
  return `if [ $(( ${count} % $(blockdev --getss ${dev} 2> /dev/null || echo 4096) )) -eq 0 ]; then ${exact}; else ${rounded}; fi`;
}

/** The whole read-back of an image already written: the first `bytes` bytes of the device, hashed on the instance. */
export function readBackScript(device: string, bytes: number): string {
  return `${HASHER}; ${directRead(shellQuote(device), '0', String(bytes))} | $hash`;
}

/**
 * The instance side of a dd backup: stdin is the tar stream. Per segment, dd writes it and says how many bytes it
 * wrote (its closing statistics, LC_ALL=C); the previous segment's reader must have finished first, so at most
 * one read runs beside the writer, a slow device holds the stream back rather than piling up readers, and the
 * readers reach the hasher (through a FIFO) in the image's order. At the end the device's write cache is flushed
 * beside the last read, and `sha256 <digest>` and `end <bytes>` are printed. A failing dd prints its message and
 * stops the script with its status.
 */
export function writeWithReadBackScript(device: string, segmentBytes = SEGMENT_BYTES): string {
  if (segmentBytes % BLOCK !== 0) throw new Error(`segment size ${segmentBytes} is not whole ${BLOCK}-byte blocks`);
  const dev = shellQuote(device);
  return [
    'export LC_ALL=C',
    HASHER,
    'tmp=$(mktemp -d) || exit 1',
    `trap 'rm -rf "$tmp"' EXIT`,
    'mkfifo "$tmp/image" || exit 1',
    '$hash < "$tmp/image" > "$tmp/sha256" & hasher=$!',
    'exec 3> "$tmp/image"',
    `off=0; reader=''`,
    'while :; do',
    `  out=$(dd of=${dev} bs=4M iflag=fullblock oflag=direct,seek_bytes seek=$off count=${segmentBytes / BLOCK} 2>&1) || { printf '%s\\n' "$out" >&2; exit 1; }`,
    `  n=$(printf '%s\\n' "$out" | sed -n 's/^\\([0-9][0-9]*\\) bytes.*/\\1/p')`,
    `  [ -n "$n" ] || { printf 'offsite: dd did not say what it wrote: %s\\n' "$out" >&2; exit 1; }`,
    '  if [ -n "$reader" ]; then wait $reader || exit 1; fi',
    '  if [ "$n" -gt 0 ]; then',
    `    { ${directRead(dev, '$off', '$n')}; } >&3 & reader=$!`,
    `  else reader=''; fi`,
    '  off=$((off + n))',
    `  [ "$n" -eq ${segmentBytes} ] || break`,
    'done',
    `sync ${dev} & flush=$!`,
    'if [ -n "$reader" ]; then wait $reader || exit 1; fi',
    'exec 3>&-',
    `wait $hasher || { echo '${READ_FAILED}' >&2; exit 1; }`,
    `wait $flush || { echo '${FLUSH_FAILED}' >&2; exit 1; }`,
    'echo "sha256 $(cut -c1-64 "$tmp/sha256")"',
    'echo "end $off"',
  ].join('\n');
}

export interface DeviceReadBack {
  /** SHA-256 of the whole image as read back from the device; undefined if the script never said. */
  sha256: string | undefined;
  /** The bytes the instance wrote, by its own count; undefined if it never said (the script did not finish). */
  bytes: number | undefined;
}

/** Reads the script's stdout: `sha256 <digest>` and `end <bytes>`. */
export function parseReadBack(stdout: string): DeviceReadBack {
  let sha256: string | undefined;
  let bytes: number | undefined;
  for (const line of stdout.split('\n')) {
    const digest = /^sha256 ([0-9a-f]{64})$/.exec(line.trim());
    if (digest) sha256 = digest[1]!;
    const end = /^end (\d+)$/.exec(line.trim());
    if (end) bytes = Number(end[1]);
  }
  return { sha256, bytes };
}

/** Holds what the device gave back to what was sent: the same length, and the same SHA-256. */
export function checkReadBack(device: string, sent: { bytes: number; sha256: string }, read: DeviceReadBack): void {
  if (read.bytes !== sent.bytes) {
    throw new OffsiteError(`verification failed: ${device} took ${read.bytes ?? 'an unknown number of'} bytes, the stream was ${sent.bytes}`);
  }
  if (read.sha256 !== sent.sha256) {
    throw new OffsiteError(
      `verification failed: the ${sent.bytes} bytes of ${device} ${read.sha256 ? `read back (O_DIRECT) hash to SHA-256 ${read.sha256}, the stream's to ${sent.sha256}` : 'were never read back'}`,
    );
  }
}
