// Joins two Dire Wolf modems without sound cards: one modem's transmit audio (written by the
// ALSA "file" plugin to this script's stdin) goes to the other modem's UDP audio input, paced
// near real time, followed by a little silence so the demodulator flushes the end of each frame.
import dgram from 'node:dgram';

const port = Number(process.argv[2]);
const socket = dgram.createSocket('udp4');
const queue = [];
const silence = Buffer.alloc(1024);
let idle = 0;
process.stdin.on('data', (d) => {
  for (let at = 0; at < d.length; at += 1024) queue.push(d.subarray(at, at + 1024));
  idle = 0;
});
process.stdin.on('end', () => process.exit(0));
setInterval(() => {
  const next = queue.shift();
  if (next) socket.send(next, port, '127.0.0.1');
  else if (idle++ < 40) socket.send(silence, port, '127.0.0.1');
}, 8);
