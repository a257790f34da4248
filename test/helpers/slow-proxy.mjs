// A slow link for ssh (a ProxyCommand): `node slow-proxy.mjs HOST PORT DELAY_MS` relays stdin to
// HOST:PORT and back, holding every chunk DELAY_MS in each direction, in order.
import { connect } from 'node:net';

const [host = '127.0.0.1', port = '22', delay = '100'] = process.argv.slice(2);
const ms = Number(delay);
const later = (fn) => setTimeout(fn, ms);
const socket = connect(Number(port), host);
process.stdin.on('data', (chunk) => { later(() => socket.write(chunk)); });
process.stdin.on('end', () => { later(() => socket.end()); });
socket.on('data', (chunk) => { later(() => process.stdout.write(chunk)); });
socket.on('end', () => { later(() => { process.stdout.end(); process.exit(0); }); });
socket.on('error', (error) => {
  process.stderr.write(`slow-proxy: ${error.message}\n`);
  process.exit(1);
});
