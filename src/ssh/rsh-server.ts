import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rsyncWord, shellQuote } from './quote.js';
import type { SshSession } from './types.js';

export interface RshEndpoint {
  /** The value for `rsync -e`: runs the bridge program against our socket. */
  rshCommand: string;
  /** What the remote side wrote on stderr (rsync's server errors). */
  remoteStderr(): string;
  close(): Promise<void>;
}


/**
 * Serves remote commands for the rsh bridge over the existing session. Only `rsync --server …` is accepted:
 * the socket is private (0700 dir), but a bridge must not become a way to run arbitrary commands.
 */
export async function serveRsh(session: SshSession, options: { sudo: boolean; signal?: AbortSignal }): Promise<RshEndpoint> {
  const dir = await mkdtemp(join(tmpdir(), 'offsite-rsh-'));
  const socketPath = join(dir, 'rsh.sock');
  let stderr = '';
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    handle(socket);
  });

  function handle(socket: Socket): void {
    let header = '';
    const onData = (chunk: Buffer): void => {
      header += chunk.toString('latin1');
      const nl = header.indexOf('\n');
      if (nl < 0) return;
      socket.off('data', onData);
      socket.pause();
      const rest = Buffer.from(header.slice(nl + 1), 'latin1');
      let argv: string[];
      try {
        argv = (JSON.parse(header.slice(0, nl)) as { argv: string[] }).argv;
      } catch {
        socket.destroy();
        return;
      }
      if (argv[0] !== 'rsync' || argv[1] !== '--server') {
        stderr += `refused remote command: ${argv.join(' ')}\n`;
        socket.destroy();
        return;
      }
      const remote = session.spawn(shellQuote(...argv), { sudo: options.sudo, ...(options.signal ? { signal: options.signal } : {}) });
      remote.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
      if (rest.length > 0) remote.stdin.write(rest);
      socket.pipe(remote.stdin);
      remote.stdout.pipe(socket);
      socket.resume();
      remote.done.then(
        () => undefined,
        (error: Error) => {
          stderr += `${error.message}\n`;
          socket.destroy();
        },
      );
      socket.on('error', () => remote.stdin.destroy());
    };
    socket.on('data', onData);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  // Built code runs the compiled bridge; tests run from source, where Node (≥ 22.18) strips the types itself.
  const compiled = fileURLToPath(new URL('./rsh-bridge.js', import.meta.url));
  const bridge = existsSync(compiled) ? compiled : fileURLToPath(new URL('./rsh-bridge.ts', import.meta.url));
  return {
    rshCommand: [process.execPath, bridge, socketPath].map(rsyncWord).join(' '),
    remoteStderr: () => stderr,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
