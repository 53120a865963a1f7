import { coded, TidemarkError } from '../../../errors.js';
import { Peers } from '../../../sync/peers.js';
import { syncPeerByRadio } from '../../../transports/radio/engine.js';
import { RadioSession } from '../../../transports/radio/session.js';
import { KissTnc } from '../../../transports/radio/tnc.js';
import type { CommandContext } from '../../command.js';
import { positiveNumber as num, str } from '../../command.js';
import { f1 } from './format.js';

function hostPort(spec: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(spec);
  if (!m || Number(m[2]) > 65535) throw new TidemarkError('invalid', `--kiss ${spec}: expected HOST:PORT (Dire Wolf's KISS TCP port is 8001 by default)`);
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
}

/** `tidemark radio --kiss ...`: one sync with a peer through a KISS TNC, calling or answering. */
export async function radioCall(ctx: CommandContext, bitrate: number): Promise<number> {
  const v = ctx.values;
  const kiss = str(v, 'kiss');
  const peerRef = str(v, 'peer');
  const call = str(v, 'call') ?? process.env.TIDEMARK_CALLSIGN;
  const peerCall = str(v, 'peer-call');
  if (!kiss || !peerRef || !call || !peerCall) {
    throw new TidemarkError('invalid', 'tidemark radio needs --kiss HOST:PORT, --peer P, --call MYCALL (or TIDEMARK_CALLSIGN) and --peer-call CALL');
  }
  const kissPort = Number(str(v, 'kiss-port') ?? 0);
  if (!Number.isInteger(kissPort) || kissPort < 0 || kissPort > 15) throw new TidemarkError('invalid', '--kiss-port takes a TNC channel number 0-15');
  const tnc = new KissTnc({ ...hostPort(kiss), kissPort });
  const txDelayMs = str(v, 'txdelay') ? num(v, 'txdelay', 300) : undefined;
  const window = str(v, 'window') ? Math.floor(num(v, 'window', 16)) : undefined;
  const batchSize = str(v, 'batch') ? Math.floor(num(v, 'batch', 100)) : undefined;
  const waitS = num(v, 'wait', 3600);
  const store = await ctx.openStore();
  let session: RadioSession | null = null;
  try {
    await new Peers(store).get(peerRef);
    await tnc.connect();
    session = new RadioSession({ link: tnc, local: call, peer: peerCall, bitrate, txDelayMs, window });
    const role = v.answer ? 'responder' : 'initiator';
    ctx.progress(role === 'initiator' ? `calling ${peerCall} through the TNC at ${kiss}...` : `waiting for ${peerCall} to call...`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(coded('timeout', { detail: `the radio sync with ${peerCall} (--wait ${waitS} s)` })), waitS * 1000);
    });
    const r = await Promise.race([syncPeerByRadio(store, peerRef, session, role, { batchSize }), timeout]).finally(() => clearTimeout(timer));
    // Stay on the air until the peer stops asking, so it hears our last acknowledgement.
    await session.linger();
    ctx.stdout.write(
      `radio sync with ${r.peer.name}: sent ${r.sent}${r.skipped ? ` (+${r.skipped} the peer holds already)` : ''}, received ${r.received}, conflicts ${r.conflicts}; ` +
        `${r.payloadBytesSent} payload bytes in ${r.payloadsSent} payload(s), ${session.stats.bytesSent} bytes sent on air in ${session.stats.framesSent} frames, ${f1(r.durationMs / 1000)} s\n`,
    );
    return 0;
  } finally {
    session?.close();
    tnc.close();
    await store.close();
  }
}
