/**
 * Regenerates what is generated in the docs: `docs/json.md` from the event schemas and `man/<binary>.1` from the
 * commander definitions. `node dist/scripts/docs.js [json] [man]` (both when neither is named).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderJsonDoc } from './docs/json-doc.js';
import { renderManPage } from './docs/man-page.js';
import { programs } from './docs/programs.js';

/** The checkout's root, from dist/scripts or from scripts (vitest). */
const root = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url));

async function main(what: string[]): Promise<void> {
  const all = what.length === 0;
  if (all || what.includes('json')) {
    await writeFile(`${root}docs/json.md`, renderJsonDoc());
    process.stdout.write('wrote docs/json.md\n');
  }
  if (all || what.includes('man')) {
    const { version } = JSON.parse(await readFile(`${root}package.json`, 'utf8')) as { version: string };
    await mkdir(`${root}man`, { recursive: true });
    for (const program of programs()) {
      await writeFile(`${root}man/${program.name()}.1`, renderManPage(program, version));
      process.stdout.write(`wrote man/${program.name()}.1\n`);
    }
  }
}

await main(process.argv.slice(2));
