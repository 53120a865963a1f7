import { randomUUID } from 'node:crypto';
import { logger } from '../log.js';
import type { Store } from '../store/index.js';
import type { Peer } from './peers.js';
import type { SyncPlan } from './plan.js';
import { syncPeer, type SyncCarrier, type SyncReport } from './session.js';

export interface ResourceProgress {
  resource: string;
  received: number;
  sent: number;
  bytes: number;
}

/** A sync started on request (console, API) that runs on in this process while people watch. */
export interface SyncJob {
  id: string;
  peer: string;
  name: string;
  state: 'running' | 'done' | 'cancelled' | 'failed';
  startedAt: number;
  finishedAt: number | null;
  /** The dry run that came before, if any: the totals the progress is measured against. */
  plan: SyncPlan | null;
  resources: ResourceProgress[];
  report: SyncReport | null;
  cancel(): void;
}

const jobs = new Map<string, SyncJob>();
const KEEP = 50;

/**
 * Starts a sync with `peer` and returns at once; the job's progress follows each page. A
 * cancelled job stops after the page in hand: every page applied so far stays, with its cursor,
 * so the next sync resumes from there.
 */
export function startSyncJob(store: Store, peer: Peer, carrier: SyncCarrier, opts: { plan?: SyncPlan | null; limit?: number } = {}): SyncJob {
  const controller = new AbortController();
  const job: SyncJob = {
    id: randomUUID(),
    peer: peer.uuid,
    name: peer.name,
    state: 'running',
    startedAt: Date.now(),
    finishedAt: null,
    plan: opts.plan ?? null,
    resources: [],
    report: null,
    cancel: () => controller.abort(),
  };
  let lastBytes = carrier.stats().bytes;
  const entry = (resource: string): ResourceProgress => {
    let r = job.resources.find((x) => x.resource === resource);
    if (!r) job.resources.push((r = { resource, received: 0, sent: 0, bytes: 0 }));
    return r;
  };
  jobs.set(job.id, job);
  for (const old of [...jobs.values()].filter((j) => j.state !== 'running').slice(0, Math.max(0, jobs.size - KEEP))) jobs.delete(old.id);
  void syncPeer(store, peer, carrier, {
    limit: opts.limit,
    waitMs: 30_000,
    signal: controller.signal,
    onPage: (r, direction) => {
      const p = entry(r.resource);
      if (direction === 'pull') p.received = r.received;
      else p.sent = r.sent;
      const b = carrier.stats().bytes;
      p.bytes += b - lastBytes;
      lastBytes = b;
    },
  })
    .then((rep) => {
      job.report = rep;
      job.state = controller.signal.aborted ? 'cancelled' : rep.result === 'success' || rep.result === 'warning' ? 'done' : 'failed';
    })
    .catch((e: unknown) => {
      logger.error({ err: e, peer: peer.name }, 'sync job');
      job.state = 'failed';
    })
    .finally(() => {
      job.finishedAt = Date.now();
      // The dry run described the state before this sync: it no longer holds.
      plans.delete(peer.uuid);
    });
  return job;
}

export function getSyncJob(id: string): SyncJob | undefined {
  return jobs.get(id);
}

/** The newest job with a peer, running or not. */
export function latestSyncJob(peer: string): SyncJob | undefined {
  return [...jobs.values()].filter((j) => j.peer === peer).pop();
}

/** Records moved so far, the total expected (from the dry run) and an estimate of the time left. */
export function jobProgress(job: SyncJob, now = Date.now()): { done: number; total: number | null; bytes: number; leftMs: number | null } {
  const done = job.resources.reduce((n, r) => n + r.received + r.sent, 0);
  const bytes = job.resources.reduce((n, r) => n + r.bytes, 0);
  const total = job.plan ? job.plan.receive + job.plan.send : null;
  const elapsed = (job.finishedAt ?? now) - job.startedAt;
  const leftMs = job.state === 'running' && total !== null && done > 0 && total > done ? (elapsed * (total - done)) / done : null;
  return { done, total, bytes, leftMs };
}

const plans = new Map<string, { plan: SyncPlan; at: number }>();

/** Keeps a dry run so that the sync that follows can show progress against its totals. */
export function rememberPlan(plan: SyncPlan): void {
  plans.set(plan.peer, { plan, at: Date.now() });
}

/** The last dry run with a peer, with when it ran, if it is recent (default: 15 minutes). */
export function recentPlan(peer: string, maxAgeMs = 15 * 60_000): (SyncPlan & { at: string }) | undefined {
  const p = plans.get(peer);
  return p && Date.now() - p.at <= maxAgeMs ? { ...p.plan, at: new Date(p.at).toISOString() } : undefined;
}
