import { OffsiteError } from '../../errors.js';
import type { SshSession } from '../../ssh/types.js';
import { shellQuote } from '../../ssh/quote.js';

/** The serial an NVMe EBS device carries: the volume id without its dash. */
export function nvmeSerial(volumeId: string): string {
  return volumeId.replace('-', '');
}

/** Amazon Linux's udev rule creates this link for every EBS NVMe device. */
export function byIdPath(volumeId: string): string {
  return `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${nvmeSerial(volumeId)}`;
}

/**
 * A POSIX sh script, run on the instance, that prints the device node of the volume once it appears:
 * first the by-id link, then any NVMe device whose serial is the volume id (images without the udev rule),
 * then — only on Xen guests, which have no NVMe disks — the xvd/sd name we attached it as.
 * It polls the local kernel (cheap) rather than us polling over SSH.
 */
export function resolveDeviceScript(volumeId: string, attachDevice: string, timeoutSeconds: number): string {
  const serial = nvmeSerial(volumeId);
  const letter = attachDevice.replace(/^\/dev\/(sd|xvd)/, '');
  return [
    `link=${shellQuote(byIdPath(volumeId))}; serial=${shellQuote(serial)}; xen1=/dev/xvd${letter}; xen2=/dev/sd${letter}`,
    `end=$(( $(date +%s) + ${Math.max(1, Math.round(timeoutSeconds))} ))`,
    'while :; do',
    '  if [ -e "$link" ]; then readlink -f "$link"; exit 0; fi',
    '  for sys in /sys/block/nvme*n*; do',
    '    [ -e "$sys/device/serial" ] || continue',
    '    s=$(tr -d " " < "$sys/device/serial"); [ "$s" = "$serial" ] && { echo "/dev/${sys##*/}"; exit 0; }',
    '  done',
    '  if ! ls /sys/block/nvme* >/dev/null 2>&1; then',
    '    for d in "$xen1" "$xen2"; do [ -b "$d" ] && { echo "$d"; exit 0; }; done',
    '  fi',
    '  [ "$(date +%s)" -ge "$end" ] && exit 3',
    '  sleep 0.2',
    'done',
  ].join('\n');
}

export async function resolveDevice(
  session: SshSession,
  volumeId: string,
  attachDevice: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<string> {
  const result = await session.exec(`sh -c ${shellQuote(resolveDeviceScript(volumeId, attachDevice, timeoutMs / 1000))}`, signal ? { signal } : {});
  const device = result.stdout.trim().split('\n').pop() ?? '';
  if (result.code === 3) throw new OffsiteError(`${volumeId} did not appear on the instance within ${Math.round(timeoutMs / 1000)} s`);
  if (result.code !== 0 || !device.startsWith('/')) {
    throw new OffsiteError(`could not find ${volumeId} on the instance: ${result.stderr.trim().split('\n')[0] || `exit ${result.code}`}`);
  }
  return device;
}
