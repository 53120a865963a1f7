import type { Store } from '../store/index.js';
import { windowOpensAt } from './window.js';
import { acks, countChangesFor, resourceHeads } from './collect.js';
import { Peers, type Peer } from './peers.js';
import { HAND_RULE } from './conflicts.js';
import { daemonRunning } from './daemon.js';

/** A peer that has not synced for longer than this is flagged stale (a setting overrides it). */
export const DEFAULT_STALE_AFTER_S = 24 * 3600;
const STALE_KEY = 'stale_after_s';

export async function staleAfterSeconds(store: Store): Promise<number> {
  const row = (await store.knex('tm_settings').where({ key: STALE_KEY }).first()) as { value: string } | undefined;
  const n = Number(row?.value);
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_STALE_AFTER_S;
}

export async function setStaleAfterSeconds(store: Store, seconds: number): Promise<void> {
  await store.knex('tm_settings').insert({ key: STALE_KEY, value: String(seconds) }).onConflict('key').merge();
}

export interface PeerStatus {
  peer: Peer;
  /** The last sync this instance ran with the peer that succeeded (from the sync log). */
  lastSuccess: string | null;
  lastAttempt: { at: string; result: string; message: string | null } | null;
  /** When the daemon will next try, from the schedule and the failures so far (null: it calls us, or no sync loop runs here). */
  nextRun: string | null;
  /** Records of my feed the peer does not hold yet (for the resources that sync with it). */
  waitingOut: number;
  /** Conflicts with this peer that only a policy decided (not reversed, nobody decided by hand). */
  openConflicts: number;
  stale: boolean;
  interval: number;
  /** The off-peak window the daemon keeps to, if any. */
  window: string | null;
}

/** Backoff the daemon applies after failures (kept equal to daemon.ts defaults). */
function retryDelayMs(failures: number): number {
  return Math.min(600_000, 5000 * 2 ** (failures - 1));
}

/**
 * What the overview shows for each peer, read from the sync log and the cursors: never a status
 * that was not written by a finished sync.
 */
export async function peerStatuses(store: Store, now = Date.now()): Promise<PeerStatus[]> {
  const peers = new Peers(store);
  const staleMs = (await staleAfterSeconds(store)) * 1000;
  const out: PeerStatus[] = [];
  for (const peer of await peers.list()) {
    const cfg = await peers.effective(peer);
    const log = store.knex('tm_sync_log').where({ peer: peer.uuid }).whereIn('direction', ['sync', 'receive', 'send']);
    const ok = (await log.clone().whereIn('result', ['success', 'warning']).orderBy('id', 'desc').first('at')) as { at: string } | undefined;
    const last = (await log.clone().where({ direction: 'sync' }).orderBy('id', 'desc').first('at', 'result', 'message')) as PeerStatus['lastAttempt'] | undefined;
    const heads = await resourceHeads(store.knex, cfg.resources);
    const acked = await acks(store.knex, peer.uuid);
    let waitingOut = 0;
    if (cfg.direction !== 'pull') {
      for (const r of cfg.resources) {
        const a = acked.get(r);
        waitingOut += await countChangesFor(store, peer.uuid, r, a && !a.reset ? a.seq : 0, heads.get(r) ?? 0, cfg.filters?.[r]);
      }
    }
    const [c] = (await store.knex('tm_conflict').where({ peer: peer.uuid }).whereNull('reversed_on').whereNot({ rule: HAND_RULE }).count({ n: '*' })) as { n: number | string }[];
    let nextRun: string | null = null;
    if (peer.url && daemonRunning(store)) {
      const base = last ? Date.parse(last.at) : now;
      const delay = peer.failures ? retryDelayMs(peer.failures) : cfg.interval * 1000;
      // Not before the off-peak window opens, when there is one.
      nextRun = new Date(windowOpensAt(cfg.window, Math.max(now, last ? base + delay : now))).toISOString();
    }
    out.push({
      peer,
      lastSuccess: ok?.at ?? null,
      lastAttempt: last ?? null,
      nextRun,
      waitingOut,
      openConflicts: Number(c?.n ?? 0),
      stale: now - (ok ? Date.parse(ok.at) : Date.parse(peer.created_on)) > staleMs,
      interval: cfg.interval,
      window: cfg.window ?? null,
    });
  }
  return out;
}
