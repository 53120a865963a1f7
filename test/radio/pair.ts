import { LinkSimulator, type LinkOptions } from './simulator.js';
import { RadioSession, type RadioSessionOptions } from '../../src/transports/radio/session.js';
import { KissTnc } from '../../src/transports/radio/tnc.js';

export interface Station {
  tnc: KissTnc;
  session: RadioSession;
}

export interface Pair {
  sim: LinkSimulator;
  a: Station;
  b: Station;
  close(): Promise<void>;
}

export const CALL_A = 'TM1AAA';
export const CALL_B = 'TM2BBB-3';

/**
 * Two stations, each with its own KISS-over-TCP connection to its side of a simulated channel:
 * the same sockets, framing and timers as against Dire Wolf.
 */
export async function stationPair(link: LinkOptions, session: Partial<RadioSessionOptions> = {}): Promise<Pair> {
  const sim = await new LinkSimulator(link).start();
  const station = async (side: 0 | 1): Promise<Station> => {
    const tnc = new KissTnc({ host: '127.0.0.1', port: sim.ports[side], reconnectMs: 200 });
    await tnc.connect();
    const s = new RadioSession({
      link: tnc,
      local: side === 0 ? CALL_A : CALL_B,
      peer: side === 0 ? CALL_B : CALL_A,
      bitrate: link.bitrate,
      latencyMs: (link.latencyMs ?? 0) + 30,
      txDelayMs: link.txDelayMs ?? 0,
      ...session,
    });
    return { tnc, session: s };
  };
  const a = await station(0);
  const b = await station(1);
  return {
    sim,
    a,
    b,
    async close() {
      for (const s of [a, b]) {
        s.session.close();
        s.tnc.close();
      }
      await sim.close();
    },
  };
}
