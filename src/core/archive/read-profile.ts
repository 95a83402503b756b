import { readFile } from 'node:fs/promises';
import { UsageError } from '../../errors.js';
import { parseProfile, type ArchiveProfile } from './profile.js';

/** Reads a profile file; a missing or unreadable file is a usage error like a bad key. */
export async function readProfile(file: string): Promise<ArchiveProfile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${file}: no such profile`);
    if (code === 'EISDIR') throw new UsageError(`${file}: is a directory, not a profile`);
    throw new UsageError(`${file}: cannot read (${code ?? 'error'})`);
  }
  return parseProfile(text, file);
}
