import { it, expect } from 'vitest';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { startSshd } from '../sandbox/sshd.js';
import { parseSshFlags } from '../../src/ssh/flags.js';
import { hostKeyPolicy } from '../../src/ssh/host-key.js';
import { connectSsh } from '../../src/ssh/connection.js';
function source(total: number, chunk = 256 * 1024) {
  const buf = Buffer.alloc(chunk, 7);
  let sent = 0;
  return new Readable({ read() { if (sent >= total) return this.push(null); sent += chunk; this.push(buf); } });
}
it('works', async () => {
  const sshd = await startSshd('/tmp/scratch/sshd1', { extraUser: true });
  const options = parseSshFlags(sshd.sshFlags);
  const expectation = await hostKeyPolicy({ host: 'x', options, homeDir: '/nonexistent' });
  const session = await connectSsh({ host: '127.0.0.1', options, defaultUser: 'ec2-user', expectation, agentSocket: null });
  const size = 400 * 1024 * 1024;
  let t0 = Date.now();
  const p = session.spawn('cat > /dev/null');
  await pipeline(source(size), p.stdin);
  console.log(await p.done, 'upload MB/s', size / 1048576 / ((Date.now() - t0) / 1000));
  t0 = Date.now();
  const q = session.spawn(`head -c ${size} /dev/zero`);
  let n = 0; q.stdout.on('data', (c) => { n += c.length; });
  console.log(await q.done, n, 'download MB/s', size / 1048576 / ((Date.now() - t0) / 1000));
  // drop
  const r = session.spawn('cat > /dev/null');
  const src = source(10 * size);
  const piping = pipeline(src, r.stdin).catch((e) => e);
  setTimeout(() => sshd.dropConnections(), 300);
  const t1 = Date.now();
  const err = await r.done.catch((e) => e);
  console.log('drop:', err?.message, Date.now() - t1, (await piping)?.message);
  await session.close();
  await sshd.stop();
}, 120000);
