/**
 * The HTTP plumbing the two protocol-level job-service fakes share: a loopback server, whole request bodies,
 * and a log of what was asked (for assertions).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface FakeReply {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

export interface LoopbackServer {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startLoopbackServer(handle: (request: FakeRequest) => FakeReply | Promise<FakeReply>): Promise<LoopbackServer> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        let reply: FakeReply;
        try {
          reply = await handle({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        } catch (error) {
          reply = { status: 500, headers: { 'content-type': 'text/plain' }, body: `fake: ${(error as Error).message}` };
        }
        res.writeHead(reply.status, { ...reply.headers, 'x-amzn-requestid': crypto.randomUUID() });
        res.end(reply.body);
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Seconds between a request's timestamp and now, for the services' 15-minute clock-skew rule. */
export function skewSeconds(when: Date): number {
  return Math.abs(Date.now() - when.getTime()) / 1000;
}
