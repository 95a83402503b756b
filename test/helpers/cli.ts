import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommandResultSchema } from '../../src/core/results.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env: Record<string, string | undefined>;
  /** Called with each stdout line as it arrives (for --json event streams). */
  onLine?: (line: string, child: ReturnType<typeof spawn>) => void;
  /** Called with each stderr line as it arrives (plain progress output). */
  onStderrLine?: (line: string, child: ReturnType<typeof spawn>) => void;
  timeoutMs?: number;
}

/** Runs one of the built binaries (bin/*.js) as a user would, with the sandbox's environment. */
export function runCli(bin: 'offsite' | 'ec2-backup' | 's3export', args: string[], options: CliOptions): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    // Run the executable itself, as a user would: its shebang finds this Node (24) first on PATH.
    const env = { ...options.env, PATH: `${dirname(process.execPath)}:${options.env.PATH ?? process.env.PATH ?? ''}` };
    const child = spawn(`${repoRoot}bin/${bin}.js`, args, {
      env: env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      if (!options.onLine) return;
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) options.onLine(line, child);
    });
    let pendingErr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
      if (!options.onStderrLine) return;
      pendingErr += text;
      const lines = pendingErr.split('\n');
      pendingErr = lines.pop() ?? '';
      for (const line of lines) options.onStderrLine(line, child);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${bin} ${args.join(' ')} did not finish in time; stderr: ${stderr.slice(-2000)}`));
    }, options.timeoutMs ?? 180_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wrong = args.includes('--json') ? resultsOffContract(stdout) : undefined;
      if (wrong) reject(new Error(`${bin} ${args.join(' ')}: ${wrong}`));
      else resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The process env with only the given AWS settings: no real credentials or profiles leak into tests. */
export function isolatedEnv(extra: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('AWS_') || key.startsWith('EC2_BACKUP_') || key.startsWith('OFFSITE_')) continue;
    env[key] = value;
  }
  return { ...env, AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', ...extra };
}

/**
 * Every `result` event a run wrote must match one of the typed results of the --json contract (src/core/results.ts):
 * a field a command adds without adding it to the contract fails the test that ran it. Undefined when all match.
 */
export function resultsOffContract(stdout: string): string | undefined {
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{"')) continue;
    let event: { type?: string; result?: unknown };
    try {
      event = JSON.parse(line) as typeof event;
    } catch {
      continue;
    }
    if (event.type === 'result' && !CommandResultSchema.safeParse(event.result).success) return `a result off the --json contract: ${line.slice(0, 2000)}`;
  }
  return undefined;
}
