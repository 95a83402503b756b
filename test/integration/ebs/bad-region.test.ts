import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, runCli } from '../../helpers/cli.js';
import { freeLoopbackPort } from '../../sandbox/moto.js';

let work: string;
let dir: string;
let html: Server;
let htmlEndpoint: string;

const credentials = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_EC2_METADATA_DISABLED: 'true' };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'offsite-region-'));
  dir = join(work, 'data');
  await mkdir(dir);
  await writeFile(join(dir, 'file'), 'some data\n');
  // What a captive portal or a mistyped endpoint looks like: HTTP 200 with an HTML page.
  html = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<html><body><p>Welcome<br></body></html>');
  });
  await new Promise<void>((resolve) => html.listen(0, '127.0.0.1', resolve));
  const address = html.address();
  htmlEndpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise((resolve) => html?.close(resolve));
  if (work) await rm(work, { recursive: true, force: true });
});

async function expectOneLine(args: string[], env: Record<string, string>, code: number, message: RegExp): Promise<void> {
  const result = await runCli('offsite', [...args, '--quiet'], { env: isolatedEnv({ ...credentials, ...env }) });
  expect(result.code, result.stderr).toBe(code);
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(result.stderr).not.toMatch(/XML parse error|\n\s+at /);
}

describe('bad regions and endpoints end in one line', () => {
  it('a region name of the wrong shape is bad input: exit 2, naming it', async () => {
    await expectOneLine(['ebs', dir, '--region', 'mars-1'], {}, 2, /^offsite: --region mars-1: not an AWS region name/);
    await expectOneLine(['ebs', dir], { AWS_REGION: 'Mars 1' }, 2, /^offsite: AWS_REGION Mars 1: not an AWS region name/);
  });

  it('an endpoint that answers HTML: exit 1, naming the endpoint', async () => {
    const escaped = htmlEndpoint.replace(/[.]/g, '\\.');
    await expectOneLine(['ebs', dir, '--region', 'xx-test-1'], { AWS_ENDPOINT_URL: htmlEndpoint }, 1, new RegExp(`${escaped} did not answer as AWS does \\(HTTP 200\\)`));
  });

  it('an endpoint nobody listens on: exit 1, naming the endpoint', async () => {
    const port = await freeLoopbackPort();
    await expectOneLine(['ebs', dir, '--region', 'us-east-1'], { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` }, 1, new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
  });
});
