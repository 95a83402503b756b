/**
 * The program rsync runs as its "remote shell" (`rsync -e`): instead of starting OpenSSH, it hands the
 * remote command to the offsite process that owns the verified ssh2 session, over a private Unix socket,
 * and then relays bytes. rsync calls it as: BRIDGE SOCKET [-l user] host command...
 */
import { connect } from 'node:net';

const [socketPath, ...rest] = process.argv.slice(2);
if (!socketPath) {
  process.stderr.write('rsh-bridge: missing socket path\n');
  process.exit(255);
}
let args = rest;
if (args[0] === '-l') args = args.slice(2);
const command = args.slice(1); // drop the host: the session is already connected to it

const socket = connect(socketPath);
socket.on('connect', () => {
  socket.write(JSON.stringify({ argv: command }) + '\n');
  process.stdin.pipe(socket);
  socket.pipe(process.stdout);
});
socket.on('error', (error) => {
  process.stderr.write(`rsh-bridge: ${error.message}\n`);
  process.exit(255);
});
socket.on('end', () => process.stdout.end());
process.stdout.on('finish', () => process.exit(0));
