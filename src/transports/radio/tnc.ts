import { EventEmitter } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { logger } from '../../log.js';
import { KISS_DATA, KissDecoder, kissEncode } from './kiss.js';

export interface KissTncOptions {
  host: string;
  port: number;
  /** KISS port (radio channel) of the TNC, 0 for single-channel TNCs. */
  kissPort?: number;
  /** Wait between reconnection attempts after the TCP connection drops. */
  reconnectMs?: number;
}

/**
 * A KISS-over-TCP connection to a TNC (Dire Wolf's KISS TCP port, or a hardware TNC behind a
 * serial-to-TCP bridge). Reconnects on its own when the connection drops: the transfer layer
 * above resumes where it stopped. Emits 'frame' (data), 'up' and 'down'.
 */
export class KissTnc extends EventEmitter {
  private socket: Socket | null = null;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly kissPort: number;
  bytesSent = 0;
  framesSent = 0;

  constructor(private readonly opts: KissTncOptions) {
    super();
    this.kissPort = opts.kissPort ?? 0;
  }

  get connected(): boolean {
    return this.socket !== null;
  }

  /** Resolves once connected the first time; later drops reconnect in the background. */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      let first = true;
      const attempt = (): void => {
        if (this.closed) return;
        const s = createConnection({ host: this.opts.host, port: this.opts.port });
        s.setNoDelay(true);
        const decoder = new KissDecoder((f) => {
          if (f.command === KISS_DATA && f.port === this.kissPort) this.emit('frame', f.data);
        });
        s.on('connect', () => {
          this.socket = s;
          this.emit('up');
          if (first) {
            first = false;
            resolve();
          }
        });
        s.on('data', (d: Buffer) => decoder.push(d));
        s.on('error', (err) => {
          if (first && !this.timer) logger.debug({ err: err.message }, 'radio: TNC connection failed');
        });
        s.on('close', () => {
          const was = this.socket === s;
          if (was) {
            this.socket = null;
            this.emit('down');
          }
          if (this.closed) return;
          if (first && !was) {
            first = false;
            reject(new Error(`cannot reach the TNC at ${this.opts.host}:${this.opts.port}`));
            return;
          }
          logger.warn({ host: this.opts.host, port: this.opts.port }, 'radio: TNC connection lost, reconnecting');
          this.timer = setTimeout(() => {
            this.timer = null;
            attempt();
          }, this.opts.reconnectMs ?? 1000);
        });
      };
      attempt();
    });
  }

  /** Hands one frame to the TNC; false when the connection is down (the transfer layer retries). */
  send(data: Uint8Array): boolean {
    if (!this.socket) return false;
    this.socket.write(kissEncode(data, this.kissPort));
    this.bytesSent += data.length;
    this.framesSent++;
    return true;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.destroy();
    this.socket = null;
  }
}
