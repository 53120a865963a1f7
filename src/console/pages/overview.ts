import { readdirSync } from 'node:fs';
import type { Store } from '../../store/index.js';
import { SCHEMA_VERSION } from '../../store/index.js';
import { latestSyncJob, Peers, peerStatuses, readSyncLog, recentPlan, staleAfterSeconds, type PeerStatus } from '../../sync/index.js';
import { outboxDir } from '../../transports/bundle/outbox.js';
import { BUNDLE_EXTENSION } from '../../transports/bundle/format.js';
import { listCandidates } from '../../transports/discovery/candidates.js';
import { radioLinks } from '../../transports/radio/engine.js';
import { PACKAGE_VERSION } from '../assets.js';
import { duration, resultBadge, safeDbUrl, timeEl, when } from '../format.js';
import { html, type Html } from '../html.js';
import { M } from '../messages.js';

const REFRESH = 'every 10s';

export async function overviewPage(store: Store): Promise<Html> {
  return html`
<section aria-labelledby="h-instance"><h2 id="h-instance">${M.overview.instance}</h2>
<dl class="facts">
<dt>${M.overview.name}</dt><dd>${store.instance.name}</dd>
<dt>${M.overview.uuid}</dt><dd><code>${store.instance.uuid}</code></dd>
<dt>${M.overview.database}</dt><dd><code>${safeDbUrl(store.db.url)}</code> (${store.db.dialect})</dd>
<dt>${M.overview.version}</dt><dd>${PACKAGE_VERSION} (schema ${SCHEMA_VERSION})</dd>
</dl></section>
${await peersSection(store)}
${await carriersSection(store)}
${await runsSection(store)}`;
}

/** The peers table: polled by htmx, so it follows the sync log without a reload. */
export async function peersSection(store: Store): Promise<Html> {
  const rows = await peerStatuses(store);
  const staleH = Math.round((await staleAfterSeconds(store)) / 3600);
  const clusters = await new Peers(store).clusters();
  return html`<section id="peers" aria-labelledby="h-peers" hx-get="/console/overview/peers" hx-trigger="${REFRESH}" hx-swap="outerHTML">
<h2 id="h-peers">${M.overview.peers}</h2>
${rows.length
  ? html`<div class="scroll"><table><caption class="sr-only">${M.overview.peers}</caption>
<thead><tr><th scope="col">${M.overview.peer}</th><th scope="col">${M.overview.lastSuccess}</th><th scope="col">${M.overview.lastAttempt}</th><th scope="col">${M.overview.nextRun}</th><th scope="col" class="n">${M.overview.waitingOut}</th><th scope="col">${M.overview.waitingIn}</th><th scope="col" class="n">${M.overview.conflicts}</th></tr></thead>
<tbody>${rows.map((s) => peerRow(s, staleH))}${clusters.map((c) => clusterRow(c.name, rows.filter((s) => s.peer.clusters.includes(c.name)), staleH))}</tbody></table></div>`
  : html`<p>${M.overview.noPeers}</p>`}
</section>`;
}

function peerRow(s: PeerStatus, staleH: number): Html {
  return html`<tr><th scope="row"><a href="/console/peers/${encodeURIComponent(s.peer.uuid)}">${s.peer.name}</a>
${s.stale ? html` <span class="badge warn">${M.overview.stale(staleH)}</span>` : ''}${latestSyncJob(s.peer.uuid)?.state === 'running' ? html` <span class="badge">${M.overview.syncing}</span>` : ''}</th>
<td>${timeEl(s.lastSuccess)}</td>
<td>${s.lastAttempt ? html`${resultBadge(s.lastAttempt.result)} ${timeEl(s.lastAttempt.at)}` : timeEl(null)}</td>
<td>${s.nextRun ? timeEl(s.nextRun) : html`<span class="muted">${s.peer.url ? M.overview.noSchedule : M.overview.callsUs}</span>`}${s.window ? html` <span class="muted">${M.overview.inWindow(s.window)}</span>` : ''}</td>
<td class="n">${s.waitingOut}</td>
${waitingIn(s.peer.uuid)}
<td class="n">${s.openConflicts ? html`<a href="/console/conflicts?peer=${encodeURIComponent(s.peer.uuid)}">${s.openConflicts}</a>` : '0'}</td></tr>`;
}

/** What waits on the peer's side is known only by asking it: the last dry run says, with its time. */
function waitingIn(peer: string): Html {
  const plan = recentPlan(peer);
  return plan ? html`<td>${plan.receive} <span class="muted">(${M.overview.asOfDryRun(when(plan.at))})</span></td>` : html`<td class="muted">${M.overview.waitingInUnknown}</td>`;
}

function clusterRow(name: string, members: PeerStatus[], staleH: number): Html {
  const newest = (xs: (string | null)[]): string | null => xs.filter((x): x is string => !!x).sort().pop() ?? null;
  const soonest = members.map((m) => m.nextRun).filter((x): x is string => !!x).sort()[0] ?? null;
  const stale = members.some((m) => m.stale);
  return html`<tr><th scope="row">${M.overview.cluster} <a href="/console/peers#cluster-${name}">${name}</a> <span class="muted">${M.overview.members(members.length)}</span>
${stale ? html` <span class="badge warn">${M.overview.stale(staleH)}</span>` : ''}</th>
<td>${timeEl(newest(members.map((m) => m.lastSuccess)))}</td><td></td><td>${soonest ? timeEl(soonest) : ''}</td>
<td class="n">${members.reduce((n, m) => n + m.waitingOut, 0)}</td><td></td>
<td class="n">${members.reduce((n, m) => n + m.openConflicts, 0)}</td></tr>`;
}

async function carriersSection(store: Store): Promise<Html> {
  let outbox: number;
  try {
    outbox = readdirSync(outboxDir()).filter((f) => f.endsWith(BUNDLE_EXTENSION)).length;
  } catch {
    outbox = 0; // no outbox folder yet: nothing waits
  }
  const candidates = await listCandidates(store.knex).catch(() => []);
  const links = await radioLinks(store);
  const pct = (x: number | null): string => (x === null ? '–' : `${Math.round(x * 100)}%`);
  return html`<section aria-labelledby="h-carriers"><h2 id="h-carriers">${M.overview.carriers}</h2>
<dl class="facts"><dt>${M.overview.outbox}</dt><dd>${outbox}</dd>
<dt>${M.overview.discovery}</dt><dd>${candidates.length ? html`<ul>${candidates.map((c) => html`<li>${c.name} <code>${c.url}</code></li>`)}</ul>` : M.common.none}</dd>
<dt>${M.overview.radio}</dt><dd>${links.length
    ? html`<div class="scroll"><table id="radio-links"><thead><tr><th scope="col">${M.overview.peer}</th><th scope="col">${M.overview.radioHeard}</th><th scope="col">${M.overview.radioQuality}</th><th scope="col" class="n">${M.overview.radioQueued}</th></tr></thead><tbody>
${links.map((l) => html`<tr data-peer="${l.peer.uuid}"><th scope="row">${l.peer.name}</th><td>${timeEl(l.lastHeard)}</td><td>${l.intact === null ? M.overview.radioNoFrames : M.overview.radioQualityText(pct(l.intact), pct(l.resent))}</td><td class="n">${M.overview.radioQueuedText(l.queuedRecords, M.common.bytes(l.queuedBytes))}</td></tr>`)}
</tbody></table></div>`
    : M.overview.radioNone}</dd></dl></section>`;
}

export async function runsSection(store: Store): Promise<Html> {
  const runs = (await readSyncLog(store.knex, { limit: 40 })).filter((r) => r.direction === 'sync' || r.direction === 'receive').slice(0, 10);
  return html`<section id="recent-runs" aria-labelledby="h-runs" hx-get="/console/overview/runs" hx-trigger="${REFRESH}" hx-swap="outerHTML">
<h2 id="h-runs">${M.overview.recentRuns}</h2>
${runs.length
  ? html`<div class="scroll"><table><thead><tr><th scope="col">${M.runs.at}</th><th scope="col">${M.runs.peer}</th><th scope="col">${M.runs.result}</th><th scope="col" class="n">${M.runs.received}</th><th scope="col" class="n">${M.runs.sent}</th><th scope="col" class="n">${M.runs.conflicts}</th><th scope="col" class="n">${M.runs.bytes}</th><th scope="col" class="n">${M.runs.duration}</th></tr></thead>
<tbody>${runs.map((r) => html`<tr><td>${timeEl(r.at)}</td><td>${r.peer_name ?? r.peer}</td><td>${resultBadge(r.result)}${r.message ? html` <span class="muted">${r.message}</span>` : ''}</td><td class="n">${r.received}</td><td class="n">${r.sent}</td><td class="n">${r.conflicts}</td><td class="n">${M.common.bytes(Number(r.bytes))}</td><td class="n">${duration(r.duration_ms)}</td></tr>`)}</tbody></table></div>
<p><a href="/console/runs">${M.runs.title}</a></p>`
  : html`<p>${M.overview.noRuns}</p>`}
</section>`;
}
