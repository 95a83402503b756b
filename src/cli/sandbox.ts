import { ExitCode } from '../exit-codes.js';

/** The sandbox's module, compiled from test/sandbox next to src/ (dist/test/sandbox in a build). */
const SANDBOX_MODULE = '../../test/sandbox/sandbox.js';
const REQUIRE_MODULE = '../../test/sandbox/require.js';

type SandboxModule = typeof import('../../test/sandbox/sandbox.js');
type RequireModule = typeof import('../../test/sandbox/require.js');

/**
 * `offsite --sandbox [command…]`: start the local AWS stand-in inside this process, point this process's
 * environment at it, run the wizard (or the command given), then stop it and remove its files — also after an
 * error or Ctrl-C. Nothing is written to the operator's shell or AWS configuration.
 */
export async function runInSandbox(run: (argv: string[]) => Promise<number>, argv: string[]): Promise<number> {
  const say = (line: string): void => void process.stderr.write(`offsite: ${line}\n`);
  if (argv.length === 0 && !(process.stdin.isTTY && process.stdout.isTTY && !process.env.CI)) {
    say('--sandbox without a command opens the wizard, which needs a terminal; name a command, e.g. offsite --sandbox ebs fixtures/sample-tree');
    return ExitCode.usage;
  }
  let modules: [SandboxModule, RequireModule];
  try {
    modules = await Promise.all([import(SANDBOX_MODULE) as Promise<SandboxModule>, import(REQUIRE_MODULE) as Promise<RequireModule>]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    say('--sandbox needs a source checkout: the sandbox is built from test/sandbox (run npm run build there)');
    return ExitCode.failed;
  }
  const [{ startSandbox }, { sandboxAvailable }] = modules;
  try {
    await sandboxAvailable();
  } catch (error) {
    say((error as Error).message);
    return ExitCode.failed;
  }

  // Until the run installs its own handlers (and after), a Ctrl-C must not kill us before the sandbox is gone.
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, onSignal);

  say('starting the sandbox (moto, sshd, attach agent, Import/Export and Snowball fakes)…');
  const startedAt = Date.now();
  const sandbox = await startSandbox({ jobServices: true }).catch((error: Error) => error);
  if (sandbox instanceof Error) {
    for (const signal of signals) process.off(signal, onSignal);
    say(sandbox.message);
    return ExitCode.failed;
  }
  const saved = Object.fromEntries(Object.keys(sandbox.env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, sandbox.env);
  try {
    if (interrupted) return ExitCode.interrupted;
    say(`sandbox up in ${((Date.now() - startedAt) / 1000).toFixed(1)} s: AWS is moto on ${sandbox.moto.endpoint}, the instance is sshd on port ${sandbox.sshd.port}; bucket s3://offsite-sandbox exists`);
    return await run(argv);
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    say('stopping the sandbox and removing its files…');
    await sandbox.stop().catch((error: Error) => say(error.message));
    for (const warning of sandbox.warnings) say(`sandbox: ${warning}`);
    for (const signal of signals) process.off(signal, onSignal);
  }
}
