import { createServer, type Server } from 'node:http';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../../helpers/cli.js';
import { useSandbox } from '../../helpers/use-sandbox.js';
import { runLive, type LiveRun } from './live-terminal.js';

/**
 * Secrets planted where they would leak: an endpoint that answers every request with an error quoting the caller's
 * secret key and the session token it was sent, and a bad argument that is a profile's secret key. None of them
 * may appear in anything offsite writes (stdout, stderr, --json, the live list) or keeps (the run ledgers).
 */
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYplantedSECRET';
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEPLANTED/session+token==';
const PROFILE_SECRET = 'profile0secret0from0the0credentials0file';
const MASK = '********';

const fx = useSandbox('redaction');
let echo: Server;
let env: Record<string, string | undefined>;
let source: string;
let live: LiveRun | undefined;

beforeAll(async () => {
  // EC2's and S3's error documents both carry a Code and a Message the SDK hands on as the error's message.
  echo = createServer((request, response) => {
    // A bucket that exists (HEAD has no body to quote); under daily/ it lists as empty, so that offsite s3 gets as
    // far as its ledger and fails on the upload; every other request fails.
    if (request.method === 'HEAD') return void response.writeHead(200).end();
    if (request.method === 'GET' && request.url?.includes('prefix=daily')) {
      return void response
        .writeHead(200, { 'content-type': 'application/xml' })
        .end('<?xml version="1.0"?><ListBucketResult><Name>redaction-bucket</Name><Prefix>daily/</Prefix><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>');
    }
    const token = String(request.headers['x-amz-security-token'] ?? 'none');
    const message = `request denied for key ${SECRET_KEY} with token ${token}`;
    response.writeHead(400, { 'content-type': 'text/xml' });
    response.end(
      request.method === 'POST' && !request.url?.includes('uploads')
        ? `<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>${message}</Message></Error></Errors><RequestID>r1</RequestID></Response>`
        : `<?xml version="1.0"?><Error><Code>InvalidArgument</Code><Message>${message}</Message><RequestId>r1</RequestId></Error>`,
    );
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  const address = echo.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const credentials = join(fx.work, 'credentials');
  await writeFile(credentials, `[spare]\naws_access_key_id = AKIASPAREKEY0000\naws_secret_access_key = ${PROFILE_SECRET}\n`);
  env = {
    ...fx.env,
    AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
    AWS_SECRET_ACCESS_KEY: SECRET_KEY,
    AWS_SESSION_TOKEN: SESSION_TOKEN,
    AWS_SHARED_CREDENTIALS_FILE: credentials,
  };
  source = join(fx.work, 'source');
  await mkdir(source);
  await writeFile(join(source, 'a.txt'), 'a small file\n');
});

afterAll(async () => {
  await live?.tty.close();
  await new Promise<void>((resolve) => echo?.close(() => resolve()));
});

function expectNoSecret(where: string, text: string): void {
  for (const secret of [SECRET_KEY, SESSION_TOKEN, PROFILE_SECRET]) expect(text, `${where} shows a secret`).not.toContain(secret);
}

/** Every file under the state directory (the run ledgers, locks): nothing kept may hold a secret either. */
async function stateFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

async function offsite(args: string[]): Promise<CliRun> {
  const run = await runCli('offsite', args, { env });
  expectNoSecret(`offsite ${args.join(' ')}: stdout`, run.stdout);
  expectNoSecret(`offsite ${args.join(' ')}: stderr`, run.stderr);
  return run;
}

describe('no command shows a secret, whatever echoes it', () => {
  it.each([
    ['cleanup', ['cleanup']],
    ['restore --list', ['restore', '--list']],
    ['s3', () => ['s3', source, 's3://redaction-bucket/daily']],
    ['verify --bucket', () => ['verify', '--bucket', 's3://redaction-bucket/weekly', source]],
  ] as const)('%s: an endpoint quoting the key and token fails the run; plain lines and --json show the mask instead', async (_name, args) => {
    const argv = typeof args === 'function' ? args() : [...args];
    const plain = await offsite(argv);
    expect(plain.code, plain.stderr).toBe(1);
    expect(plain.stderr).toContain(MASK);
    const json = await offsite([...argv, '--json']);
    expect(json.code).toBe(1);
    const error = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; message?: string }).find((event) => event.type === 'error');
    expect(error?.message).toContain(MASK);
  });

  it('a bad argument that is a profile secret is masked in the one-line report and the JSON error', async () => {
    const plain = await offsite(['restore', '--snapshot', PROFILE_SECRET, join(fx.work, 'target')]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toBe(`offsite: --snapshot: '${MASK}' is not a snapshot id (snap- and 8 or 17 hex digits)\n`);
    const json = await offsite(['ebs', '--volume', PROFILE_SECRET, '--json', source]);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout.trim()) as { type: string; message: string }).toMatchObject({ type: 'error', message: expect.stringContaining(MASK) as string });
  });

  it('a secret typed where commander refuses the value is masked in its one line too', async () => {
    const run = await offsite(['ebs', '--size', PROFILE_SECRET, source]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`offsite: option '--size <GiB>' argument '${MASK}' is invalid. --size must be a positive whole number\n`);
  });

  it('the live task list on a terminal shows the mask too', async () => {
    live = await runLive('offsite-redaction-live', fx.work, env, ['cleanup']);
    expect(await live.exitCode()).toBe('1');
    const screen = await live.tty.screen();
    expectNoSecret('the live list', screen);
    expect(screen).toContain(MASK);
  });

  it('the run ledgers keep no secret', async () => {
    const files = await stateFiles(env.OFFSITE_STATE_DIR!);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expectNoSecret(file, await readFile(file, 'utf8'));
  });
});
