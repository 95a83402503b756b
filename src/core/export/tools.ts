import { OffsiteError } from '../../errors.js';
import { lastLine, runCommand, type CommandOutput } from '../host/command.js';

const PACKAGES: Record<string, string> = { sgdisk: 'gdisk', mkfs: 'e2fsprogs', blkid: 'util-linux', partx: 'util-linux', mount: 'mount', umount: 'mount' };

/**
 * Runs a system tool (never through a shell, never with a secret in its arguments; see runCommand). `check` turns
 * a non-zero exit into a one-line error with the tool's last complaint; a missing tool names its Debian package.
 */
export async function runTool(argv: readonly string[], options: { signal?: AbortSignal; check?: boolean } = {}): Promise<CommandOutput> {
  const { signal, check = true } = options;
  const program = argv[0]!;
  const result = await runCommand(argv, { ...(signal ? { signal } : {}), keepBytes: Number.MAX_SAFE_INTEGER });
  if (result.code === 127 && /command not found$/.test(result.stderr)) {
    const pkg = PACKAGES[program];
    throw new OffsiteError(`${program}: not installed${pkg ? ` (Debian package ${pkg}; scripts/setup.sh installs it)` : ''}`);
  }
  if (check && result.code !== 0) throw new OffsiteError(`${argv.join(' ')} failed: ${lastLine(result.stderr) || `exit ${result.code}`}`);
  return result;
}
