import type { Store } from '../../store/index.js';
import { diffConflict, getConflict, listConflicts, Peers, type ConflictEntry, type ConflictQuery } from '../../sync/index.js';
import { showValue, timeEl, when } from '../format.js';
import { html, qs, type Html } from '../html.js';
import { M } from '../messages.js';
import { fieldLabel } from './records.js';

const csrfField = (csrf: string): Html => html`<input type="hidden" name="_csrf" value="${csrf}">`;
const day = (v: string | undefined): string | undefined => (v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : undefined);

export function conflictQuery(store: Store, q: Record<string, string | undefined>): ConflictQuery {
  const until = day(q.until);
  return {
    resource: q.resource && store.registry.has(q.resource) ? q.resource : undefined,
    peer: q.peer || undefined,
    since: day(q.since),
    until: until ? new Date(Date.parse(`${until}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10) : undefined,
    all: q.all === '1',
    limit: 200,
  };
}

async function siteNames(store: Store): Promise<(uuid: string) => string> {
  const names = new Map((await new Peers(store).list()).map((p) => [p.uuid, p.name]));
  names.set(store.instance.uuid, store.instance.name);
  return (u) => names.get(u) ?? u.slice(0, 8);
}

export async function conflictsPage(store: Store, q: Record<string, string | undefined>, opts: { csrf: string; canResolve: boolean }): Promise<Html> {
  const f = conflictQuery(store, q);
  const rows = await listConflicts(store, f);
  const site = await siteNames(store);
  const peers = await new Peers(store).list();
  const resources = [...new Set(store.registry.all().filter((r) => !r.referenceData).map((r) => r.name))];
  return html`<form method="get" action="/console/conflicts" class="actions" aria-label="${M.runs.filter}">
<div><label for="c-resource">${M.runs.resource}</label><select id="c-resource" name="resource"><option value="">${M.runs.all}</option>${resources.map((r) => html`<option${r === f.resource ? html` selected` : ''}>${r}</option>`)}</select></div>
<div><label for="c-peer">${M.conflicts.peer}</label><select id="c-peer" name="peer"><option value="">${M.runs.all}</option>${peers.map((p) => html`<option value="${p.uuid}"${p.uuid === f.peer ? html` selected` : ''}>${p.name}</option>`)}</select></div>
<div><label for="c-since">${M.conflicts.since}</label><input id="c-since" name="since" type="date" value="${q.since ?? ''}"></div>
<div><label for="c-until">${M.conflicts.until}</label><input id="c-until" name="until" type="date" value="${q.until ?? ''}"></div>
<label><input type="checkbox" name="all" value="1"${f.all ? html` checked` : ''}> ${M.conflicts.showReversed}</label>
<button type="submit">${M.runs.filter}</button></form>
${rows.length
  ? html`<form method="post" action="/console/conflicts/batch">${csrfField(opts.csrf)}
<div class="scroll"><table id="conflicts"><thead><tr>${opts.canResolve ? html`<th scope="col"><input type="checkbox" data-all="conflicts" aria-label="${M.conflicts.selected}"></th>` : ''}<th scope="col">#</th><th scope="col">${M.conflicts.decided}</th><th scope="col">${M.conflicts.record}</th><th scope="col">${M.conflicts.peer}</th><th scope="col">${M.conflicts.rule}</th><th scope="col">${M.conflicts.winner}</th><th scope="col">${M.conflicts.field}</th></tr></thead><tbody>
${rows.map((c) => conflictRow(store, c, site, opts.canResolve))}
</tbody></table></div>
${opts.canResolve ? html`<fieldset class="actions"><legend>${M.conflicts.selected}</legend><button type="submit" name="take" value="local" class="secondary">${M.conflicts.takeLocal}</button><button type="submit" name="take" value="remote" class="secondary">${M.conflicts.takeRemote}</button></fieldset>` : ''}
</form>`
  : html`<p>${M.conflicts.none}</p>`}`;
}

function conflictRow(store: Store, c: ConflictEntry, site: (u: string) => string, canResolve: boolean): Html {
  const differing = diffConflict(store, c).filter((d) => d.differs).map((d) => d.field);
  return html`<tr data-id="${c.id}">${canResolve ? html`<td><input type="checkbox" name="ids" value="${c.id}" data-group="conflicts" aria-label="${M.conflicts.select(c.id)}"></td>` : ''}
<td><a href="/console/conflicts/${c.id}">${c.id}</a></td><td>${timeEl(c.decided_on)}</td><td><a href="/console/records/${c.resource}/${encodeURIComponent(c.uuid)}">${c.resource}</a></td>
<td>${site(c.peer)}</td><td>${c.policy} · ${c.rule}</td><td>${M.conflicts.winners[c.winner]}${c.reversed_on ? html` <span class="badge warn">${M.conflicts.reversed}</span>` : ''}</td><td>${differing.join(', ')}</td></tr>`;
}

export async function conflictPage(store: Store, id: number, opts: { csrf: string; canResolve: boolean }): Promise<Html> {
  const c = await getConflict(store, id);
  const site = await siteNames(store);
  const diff = diffConflict(store, c);
  const localHead = M.conflicts.local(site(c.local.changed_by), when(c.local.modified_on));
  const remoteHead = M.conflicts.remote(site(c.remote.changed_by), when(c.remote.modified_on));
  return html`<dl class="facts"><dt>${M.conflicts.record}</dt><dd><a href="/console/records/${c.resource}/${encodeURIComponent(c.uuid)}">${c.resource} ${c.uuid}</a></dd>
<dt>${M.conflicts.peer}</dt><dd>${site(c.peer)}</dd><dt>${M.conflicts.decided}</dt><dd>${timeEl(c.decided_on)} (${c.policy} · ${c.rule})</dd>
<dt>${M.conflicts.winner}</dt><dd id="winner">${M.conflicts.winners[c.winner]}${c.reversed_on ? html` — ${M.conflicts.reversed} ${timeEl(c.reversed_on)}` : ''}</dd></dl>
<form method="post" action="/console/conflicts/${c.id}/resolve">${csrfField(opts.csrf)}
<div class="scroll"><table class="diff" id="diff"><thead><tr><th scope="col">${M.conflicts.field}</th><th scope="col">${localHead}</th><th scope="col">${remoteHead}</th><th scope="col">${M.conflicts.stored}</th></tr></thead><tbody>
${diff.map((d) => {
  const choose = opts.canResolve && d.differs;
  const f = store.registry.field(c.resource, d.field);
  const shown = (v: typeof d.local): Html | string => showValue(v) || html`<span class="muted">${M.conflicts.empty}</span>`;
  return html`<tr data-field="${d.field}"><th scope="row">${f ? fieldLabel(f) : M.conflicts.deletedField}${d.differs ? html` <span class="sr-only">${M.conflicts.differs}</span>` : ''}</th>
<td${d.differs ? html` class="changed"` : ''}>${choose ? html`<label><input type="radio" name="field_${d.field}" value="local"${JSON.stringify(d.result) === JSON.stringify(d.local) ? html` checked` : ''}> ${shown(d.local)}</label>` : showValue(d.local)}</td>
<td${d.differs ? html` class="changed"` : ''}>${choose ? html`<label><input type="radio" name="field_${d.field}" value="remote"${JSON.stringify(d.result) !== JSON.stringify(d.local) ? html` checked` : ''}> ${shown(d.remote)}</label>` : showValue(d.remote)}</td>
<td>${showValue(d.result)}</td></tr>`;
})}
</tbody></table></div>
${opts.canResolve
  ? html`<p class="muted">${M.conflicts.mergeHelp}</p><div class="actions"><button type="submit" name="take" value="merge">${M.conflicts.merge}</button>
<button type="submit" name="take" value="local" class="secondary">${M.conflicts.takeLocal}</button><button type="submit" name="take" value="remote" class="secondary">${M.conflicts.takeRemote}</button></div>`
  : ''}
</form>
${opts.canResolve && !c.reversed_on
  ? html`<form method="post" action="/console/conflicts/${c.id}/reverse" data-confirm="${M.conflicts.reverseConfirm}" class="actions">${csrfField(opts.csrf)}${c.winner === 'merged' ? html`<input type="hidden" name="take" value="local">` : ''}<button type="submit" class="danger">${M.conflicts.reverse}</button> <span class="muted">${M.conflicts.reverseHelp}</span></form>`
  : ''}
<p><a href="/console/conflicts${qs({})}">${M.common.back}</a></p>`;
}
