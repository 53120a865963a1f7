import { logger } from '../log.js';
import { wallClockMs, type Store } from '../store/index.js';
import { Peers, type Peer } from './peers.js';
import { inWindow } from './window.js';
import { syncPeer, type SyncCarrier, type SyncReport } from './session.js';

export interface DaemonOptions {
  /** The carrier for a peer, or undefined when it cannot be reached actively (no URL). */
  carrierFor(peer: Peer): SyncCarrier | undefined;
  /** How often the loop looks at the clock and the change feed (ms). */
  tickMs?: number;
  /** Quiet time after a local change before pushing it (ms). */
  debounceMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  onSync?: (r: SyncReport) => void;
  /** The clock schedules and off-peak windows are read from (the instance's clock by default). */
  now?: () => number;
}

interface PeerState {
  nextAt: number;
  failures: number;
  running: boolean;
  /** My feed head when the last sync with this peer finished. */
  headAfter: number;
}

/**
 * The sync loop of `tidemark serve`: every peer on its schedule, a push soon after a local
 * change (debounced), exponential backoff on failure, never two syncs with one peer at once
 * (in this process by a flag, across processes by the lease in the database).
 */
/** Stores whose sync loop runs in this process (the overview shows no schedule without one). */
const looping = new WeakSet<Store>();
export const daemonRunning = (store: Store): boolean => looping.has(store);

export interface Daemon {
  stop(): Promise<void>;
  kick(): void;
  /** One look at the clock and the peers now (what the timer does every tickMs). */
  tick(): Promise<void>;
  /** Resolves when the syncs started so far have finished. */
  idle(): Promise<void>;
}

export function startDaemon(store: Store, opts: DaemonOptions): Daemon {
  looping.add(store);
  const tickMs = opts.tickMs ?? 1000;
  const debounceMs = opts.debounceMs ?? 2000;
  const minBackoff = opts.minBackoffMs ?? 5000;
  const maxBackoff = opts.maxBackoffMs ?? 600_000;
  const clock = opts.now ?? wallClockMs;
  const peers = new Peers(store);
  const state = new Map<string, PeerState>();
  const running = new Set<Promise<void>>();
  let lastHead = -1;
  let changedAt = 0;
  let stopped = false;
  let ticking: Promise<void> | null = null;

  const tick = async (): Promise<void> => {
    if (stopped || ticking) return;
    ticking = look();
    await ticking;
  };
  const look = async (): Promise<void> => {
    try {
      const head = await store.head();
      if (head !== lastHead) {
        lastHead = head;
        changedAt = clock();
      }
      const now = clock();
      for (const peer of await peers.list()) {
        const carrier = opts.carrierFor(peer);
        if (!carrier) continue;
        let s = state.get(peer.uuid);
        if (!s) state.set(peer.uuid, (s = { nextAt: now, failures: 0, running: false, headAfter: -1 }));
        if (s.running) continue;
        const cfg = await peers.effective(peer);
        const localChange = s.headAfter >= 0 && head > s.headAfter && now - changedAt >= debounceMs && s.failures === 0;
        if (now < s.nextAt && !localChange) continue;
        // Outside the off-peak window the loop starts nothing; what is due waits for the window.
        if (!inWindow(cfg.window, now)) continue;
        s.running = true;
        const st = s;
        const job = syncPeer(store, peer, carrier)
          .then(async (r) => {
            opts.onSync?.(r);
            const ok = r.result === 'success' || r.result === 'warning';
            st.failures = ok ? 0 : st.failures + 1;
            st.nextAt = clock() + (ok ? cfg.interval * 1000 : Math.min(maxBackoff, minBackoff * 2 ** (st.failures - 1)));
            st.headAfter = await store.head();
          })
          .catch((e: unknown) => logger.error({ err: e, peer: peer.name }, 'sync loop'))
          .finally(() => {
            st.running = false;
            running.delete(job);
          });
        running.add(job);
      }
    } catch (e) {
      if (!stopped) logger.warn({ err: (e as Error).message }, 'sync daemon tick failed');
    } finally {
      ticking = null;
    }
  };
  const timer = setInterval(() => void tick(), tickMs);
  timer.unref();
  void tick();
  logger.info({ tickMs, debounceMs }, 'sync daemon started');
  return {
    tick: async () => {
      while (ticking) await ticking;
      await tick();
    },
    idle: async () => {
      await Promise.allSettled([...running]);
    },
    kick: () => {
      for (const s of state.values()) s.nextAt = 0;
      void tick();
    },
    async stop() {
      stopped = true;
      looping.delete(store);
      clearInterval(timer);
      await Promise.allSettled([...running]);
    },
  };
}
