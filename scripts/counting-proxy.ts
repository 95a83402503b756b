/**
 * An HTTP proxy in front of the S3 endpoint that counts every request by what it asks S3 to do, so a benchmark's
 * request figures are exact and free of timing noise. Requests are passed through unchanged (the Host header
 * included, so signatures still hold).
 */
import { createServer, request, Agent, type IncomingMessage, type Server } from 'node:http';
import { once } from 'node:events';

export type RequestKind =
  | 'PutObject' | 'CopyObject' | 'UploadPart' | 'UploadPartCopy' | 'CreateMultipartUpload' | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload' | 'HeadObject' | 'HeadBucket' | 'GetObject' | 'GetObjectAttributes' | 'ListObjects'
  | 'ListMultipartUploads' | 'ListParts' | 'DeleteObject' | 'DeleteObjects' | 'other';

/** What S3 operation a request is, from its method, path and query (path-style addressing). */
export function requestKind(req: Pick<IncomingMessage, 'method' | 'url' | 'headers'>): RequestKind {
  const url = new URL(req.url ?? '/', 'http://proxy');
  const q = url.searchParams;
  const hasKey = url.pathname.split('/').filter(Boolean).length > 1;
  const copy = req.headers['x-amz-copy-source'] !== undefined;
  switch (req.method) {
    case 'PUT':
      if (q.has('partNumber')) return copy ? 'UploadPartCopy' : 'UploadPart';
      return hasKey ? (copy ? 'CopyObject' : 'PutObject') : 'other';
    case 'POST':
      if (q.has('uploads')) return 'CreateMultipartUpload';
      if (q.has('uploadId')) return 'CompleteMultipartUpload';
      if (q.has('delete')) return 'DeleteObjects';
      return 'other';
    case 'HEAD':
      return hasKey ? 'HeadObject' : 'HeadBucket';
    case 'GET':
      if (!hasKey) return q.has('uploads') ? 'ListMultipartUploads' : 'ListObjects';
      if (q.has('uploadId')) return 'ListParts';
      if (q.has('attributes')) return 'GetObjectAttributes';
      return 'GetObject';
    case 'DELETE':
      return q.has('uploadId') ? 'AbortMultipartUpload' : hasKey ? 'DeleteObject' : 'other';
    default:
      return 'other';
  }
}

export interface CountingProxy {
  endpoint: string;
  /** Counts since the last reset, by kind. */
  counts(): Map<RequestKind, number>;
  total(): number;
  reset(): void;
  stop(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let counts = new Map<RequestKind, number>();
  const server: Server = createServer((req, res) => {
    const kind = requestKind(req);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => new Map(counts),
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    reset: () => void (counts = new Map()),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
