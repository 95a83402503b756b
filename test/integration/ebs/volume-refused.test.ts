import { EventEmitter } from 'node:events';
import { request as httpRequest, createServer, type Server } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { liveInstances, volumeIds } from '../../helpers/moto-state.js';
import { useSandbox } from '../../helpers/use-sandbox.js';

const fx = useSandbox('volume-refused');
let proxy: Server;
let proxyUrl: string;
let refused = 0;
let held = 0;
const heldNow = new EventEmitter();

/**
 * moto in front of a relay that answers CreateVolume as EC2 does when an account's gp3 quota is used up. The volume
 * is asked for while the instance boots, so its failure must stop that step too and leave nothing running.
 */
beforeAll(async () => {
  const target = new URL(fx.env.AWS_ENDPOINT_URL!);
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const action = /(?:^|&)Action=(\w+)/.exec(body.toString('utf8'))?.[1];
      if (action === 'DescribeInstances' && refused === 0) {
        // The instance is still booting: the wait for it is answered only by being stopped (the client hangs up).
        held++;
        heldNow.emit('held');
        return;
      }
      if (action === 'CreateVolume') {
        // Refused only once the launch is waiting, so the refusal always lands while the instance boots.
        const refuse = (): void => {
          refused++;
          res.writeHead(400, { 'content-type': 'text/xml' });
          res.end(
            '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>VolumeLimitExceeded</Code><Message>You have exceeded your maximum gp3 storage limit of 50 TiB in this region.</Message></Error></Errors><RequestID>refused-1</RequestID></Response>',
          );
        };
        if (held > 0) refuse();
        else heldNow.once('held', refuse);
        return;
      }
      const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  proxyUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  await mkdir(join(fx.work, 'data'));
  await writeFile(join(fx.work, 'data', 'file'), 'some data\n');
});

afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
});

describe('EC2 refuses the new volume while the instance boots', () => {
  it('one line naming the refusal, exit 1, the instance terminated and nothing else left', async () => {
    const volumesBefore = await volumeIds(fx.sandbox.ec2());
    const result = await runCli('offsite', ['ebs', join(fx.work, 'data'), '--json'], { env: { ...fx.env, AWS_ENDPOINT_URL: proxyUrl } });
    const events = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; phase?: string; status?: string; message?: string; kind?: string });
    expect(refused).toBeGreaterThan(0);
    expect(result.code, result.stdout.slice(-2000)).toBe(1);
    const errors = events.filter((e) => e.type === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/VolumeLimitExceeded|maximum gp3 storage limit/);
    // The volume step failed; the wait for the instance beside it was stopped, not failed; the instance is gone.
    expect(held).toBeGreaterThan(0);
    expect(events.find((e) => e.type === 'phase-end' && e.phase === 'volume')?.status).toBe('failed');
    expect(events.find((e) => e.type === 'phase-end' && e.phase === 'instance')?.status).toBe('cancelled');
    expect(events.some((e) => e.type === 'resource-released' && e.kind === 'instance')).toBe(true);
    expect(result.stderr).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m);
    expect(await liveInstances(fx.sandbox.ec2())).toEqual([]);
    expect(await volumeIds(fx.sandbox.ec2())).toEqual(volumesBefore);
  });
});
