import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of an endpoint that a test can switch off: while down, open connections are cut and new
 * ones are reset at once, as when the AWS endpoint becomes unreachable mid-run.
 */
export interface EndpointSwitch {
  url: string;
  down(): void;
  up(): void;
  close(): Promise<void>;
}

export async function endpointSwitch(target: string): Promise<EndpointSwitch> {
  const { hostname, port } = new URL(target);
  let isDown = false;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (isDown) {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ host: hostname, port: Number(port) });
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url,
    down() {
      isDown = true;
      for (const socket of open) socket.resetAndDestroy();
    },
    up() {
      isDown = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
