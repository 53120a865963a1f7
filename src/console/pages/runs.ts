import type { Store } from '../../store/index.js';
import { Peers, readSyncLog, syncableResources, type SyncLogQuery } from '../../sync/index.js';
import { duration, resultBadge, timeEl } from '../format.js';
import { html, qs, type Html } from '../html.js';
import { M } from '../messages.js';

export const RUNS_PAGE = 100;
const RESULTS = ['success', 'warning', 'error', 'fatal'] as const;
const DIRECTIONS = ['sync', 'pull', 'push', 'send', 'receive'] as const;

/** The filters of the run history from a query string, checked against what exists. */
export function runsQuery(q: Record<string, string | undefined>): SyncLogQuery & { page: number } {
  const day = (v: string | undefined): string | undefined => (v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : undefined);
  const n = Number(q.page ?? 1);
  const until = day(q.until);
  return {
    peer: q.peer || undefined,
    result: (RESULTS as readonly string[]).includes(q.result ?? '') ? (q.result as SyncLogQuery['result']) : undefined,
    direction: (DIRECTIONS as readonly string[]).includes(q.direction ?? '') ? (q.direction as SyncLogQuery['direction']) : undefined,
    resource: q.resource || undefined,
    since: day(q.since),
    // The whole of the last day chosen.
    until: until ? new Date(Date.parse(`${until}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10) : undefined,
    page: Number.isInteger(n) && n > 0 ? n : 1,
  };
}

export async function runsPage(store: Store, q: Record<string, string | undefined>): Promise<Html> {
  const f = runsQuery(q);
  const rows = await readSyncLog(store.knex, { ...f, limit: RUNS_PAGE + 1, offset: (f.page - 1) * RUNS_PAGE });
  const more = rows.length > RUNS_PAGE;
  const peers = await new Peers(store).list();
  const sel = (name: string, label: string, options: readonly string[], value: string | undefined, labels?: (o: string) => string): Html =>
    html`<div><label for="f-${name}">${label}</label><select id="f-${name}" name="${name}"><option value="">${M.runs.all}</option>${options.map((o) => html`<option value="${o}"${o === value ? html` selected` : ''}>${labels ? labels(o) : o}</option>`)}</select></div>`;
  const keep = { peer: q.peer, result: q.result, direction: q.direction, resource: q.resource, since: q.since, until: q.until };
  return html`<form method="get" action="/console/runs" class="actions" aria-label="${M.runs.filter}">
${sel('peer', M.runs.peer, peers.map((p) => p.uuid), f.peer, (u) => peers.find((p) => p.uuid === u)?.name ?? u)}
${sel('direction', M.runs.direction, DIRECTIONS, f.direction)}
${sel('result', M.runs.result, RESULTS, f.result)}
${sel('resource', M.runs.resource, syncableResources(store.registry), f.resource)}
<div><label for="f-since">${M.runs.since}</label><input id="f-since" name="since" type="date" value="${q.since ?? ''}"></div>
<div><label for="f-until">${M.runs.until}</label><input id="f-until" name="until" type="date" value="${q.until ?? ''}"></div>
<button type="submit">${M.runs.filter}</button>
<a href="/console/runs.csv${qs(keep)}" download>${M.runs.csv}</a>
</form>
${rows.length
  ? html`<p class="muted">${M.runs.countsNote}</p><div class="scroll"><table id="runs"><thead><tr><th scope="col">${M.runs.at}</th><th scope="col">${M.runs.peer}</th><th scope="col">${M.runs.direction}</th><th scope="col">${M.runs.resource}</th><th scope="col">${M.runs.result}</th><th scope="col" class="n">${M.runs.received}</th><th scope="col" class="n">${M.runs.sent}</th><th scope="col" class="n">${M.runs.created}</th><th scope="col" class="n">${M.runs.updated}</th><th scope="col" class="n">${M.runs.refused}</th><th scope="col" class="n">${M.runs.conflicts}</th><th scope="col" class="n">${M.runs.bytes}</th><th scope="col" class="n">${M.runs.duration}</th><th scope="col">${M.runs.message}</th></tr></thead><tbody>
${rows.slice(0, RUNS_PAGE).map((r) => html`<tr><td>${timeEl(r.at)}</td><td>${r.peer_name ?? r.peer}</td><td>${r.direction}</td><td>${r.resource ?? ''}</td><td>${resultBadge(r.result)}</td><td class="n">${r.received}</td><td class="n">${r.sent}</td><td class="n" data-col="created">${r.created}</td><td class="n" data-col="updated">${r.updated}</td><td class="n${r.refused ? ' bad' : ''}" data-col="refused">${r.refused}</td><td class="n" data-col="conflicts">${r.conflicts}</td><td class="n">${M.common.bytes(Number(r.bytes))}</td><td class="n">${duration(r.duration_ms)}</td><td>${r.message ?? ''}</td></tr>`)}
</tbody></table></div>`
  : html`<p>${M.overview.noRuns}</p>`}
<nav class="actions" aria-label="${M.runs.title}">
${f.page > 1 ? html`<a rel="prev" href="/console/runs${qs({ ...keep, page: f.page - 1 })}">${M.common.previous}</a>` : ''}
${more ? html`<a rel="next" href="/console/runs${qs({ ...keep, page: f.page + 1 })}">${M.common.next}</a>` : ''}
</nav>`;
}
