import type { Store, StoredRecord } from '../../store/index.js';
import type { FieldDef, ResourceDef } from '../../registry/types.js';
import type { FieldValue } from '../../registry/values.js';
import { historyKeep } from '../../store/index.js';
import { listConflicts, Peers, versionHistory, type VersionView } from '../../sync/index.js';
import { recordLabel, showValue, timeEl } from '../format.js';
import { html, qs, type Html } from '../html.js';
import { M } from '../messages.js';

export const PAGE_SIZE = 50;

const recordHref = (resource: string, uuid: string): string => `/console/records/${encodeURIComponent(resource)}/${encodeURIComponent(uuid)}`;

export async function resourcesPage(store: Store): Promise<Html> {
  const masters = store.registry.masters();
  const counts = await Promise.all(masters.map((d) => store.count(d.name)));
  return html`<div class="scroll"><table><thead><tr><th scope="col">${M.records.resource}</th><th scope="col" class="n">${M.records.count}</th></tr></thead><tbody>
${masters.map((d, i) => html`<tr><th scope="row"><a href="/console/records/${d.name}">${d.title}</a> <span class="muted">${d.name}</span>${d.referenceData ? html` <span class="badge">${M.records.referenceDataShort}</span>` : ''}</th><td class="n">${counts[i]}</td></tr>`)}
</tbody></table></div>`;
}

export async function listPage(store: Store, def: ResourceDef, opts: { search?: string; page: number; canWrite: boolean }): Promise<Html> {
  const total = await store.count(def.name, { search: opts.search });
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const page = Math.min(Math.max(1, opts.page), pages);
  const rows = await store.list(def.name, { search: opts.search, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
  const cols = def.fields.filter((f) => f.type !== 'text' && f.type !== 'json').slice(0, 5);
  const from = total ? (page - 1) * PAGE_SIZE + 1 : 0;
  const to = Math.min(total, page * PAGE_SIZE);
  const labels = await referenceLabels(store, def, rows.map((r) => r.data));
  return html`<form role="search" method="get" action="/console/records/${def.name}" class="actions">
<label for="q">${M.records.searchLabel}</label><input id="q" name="q" type="search" value="${opts.search ?? ''}">
<button type="submit">${M.common.search}</button>
${opts.canWrite && !def.referenceData ? html`<a class="button" href="/console/records/${def.name}/new">${M.records.newRecord(def.title)}</a>` : ''}
</form>
<p role="status">${M.common.page(from, to, total)}</p>
${rows.length
  ? html`<div class="scroll"><table><thead><tr>${cols.map((f) => html`<th scope="col">${fieldLabel(f)}</th>`)}</tr></thead><tbody>
${rows.map((r) => html`<tr>${cols.map((f, i) => (i === 0 ? html`<th scope="row"><a href="${recordHref(def.name, r.uuid)}">${showValue(r.data[f.name] ?? null) || recordLabel(def, r.data, r.uuid)}</a></th>` : html`<td>${cell(f, r.data[f.name] ?? null, labels)}</td>`))}</tr>`)}
</tbody></table></div>`
  : html`<p>${M.records.empty}</p>`}
<nav aria-label="${M.common.page(from, to, total)}" class="actions">
${page > 1 ? html`<a rel="prev" href="/console/records/${def.name}${qs({ q: opts.search, page: page - 1 })}">${M.common.previous}</a>` : ''}
${page < pages ? html`<a rel="next" href="/console/records/${def.name}${qs({ q: opts.search, page: page + 1 })}">${M.common.next}</a>` : ''}
</nav>`;
}

export function fieldLabel(f: FieldDef): string {
  return f.label ?? f.name.replace(/_id$/, '').replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

/** Names of the records that reference fields point at (in records or kept versions), for links that say where they go. */
async function referenceLabels(store: Store, def: ResourceDef, rows: readonly Partial<Record<string, FieldValue>>[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of def.fields) {
    if (f.type !== 'reference') continue;
    const uuids = [...new Set(rows.map((r) => r[f.name]).filter((v): v is string => typeof v === 'string'))];
    if (!uuids.length) continue;
    const target = store.registry.get(f.resource!);
    const found = (await store.knex(target.name).whereIn('uuid', uuids.slice(0, 500))) as Record<string, unknown>[];
    for (const r of found) out.set(r.uuid as string, recordLabel(target, r as Record<string, FieldValue>, r.uuid as string));
  }
  return out;
}

function cell(f: FieldDef, v: FieldValue, labels: Map<string, string>): Html | string {
  if (f.type === 'reference' && typeof v === 'string') return html`<a href="${recordHref(f.resource!, v)}">${labels.get(v) ?? v}</a>`;
  return showValue(v);
}

function fieldsTable(def: ResourceDef, rec: StoredRecord, labels: Map<string, string>): Html {
  return html`<dl class="facts">${def.fields.map((f) => html`<dt>${fieldLabel(f)}</dt><dd>${cell(f, rec.data[f.name] ?? null, labels)}</dd>`)}</dl>`;
}

export async function recordPage(store: Store, def: ResourceDef, rec: StoredRecord, canWrite: boolean): Promise<Html> {
  const names = new Map((await new Peers(store).list()).map((p) => [p.uuid, p.name]));
  names.set(store.instance.uuid, `${store.instance.name} (${M.records.thisInstance})`);
  const site = (u: string): string => names.get(u) ?? u;
  const labels = await referenceLabels(store, def, [rec.data]);
  const writable = canWrite && !def.referenceData;
  const comps = store.registry.components(def.name);
  const children = comps.length ? await store.componentsOf(def.name, [rec.uuid]) : new Map<string, StoredRecord[]>();
  const conflicts = await listConflicts(store, { resource: def.name, uuid: rec.uuid, all: true });
  const versions = await versionHistory(store, def.name, rec.uuid, { limit: 100 });
  // Every value a version's changes show, before or after, is some kept version's data.
  const versionLabels = await referenceLabels(store, def, versions.map((v) => v.data));
  const keep = await historyKeep(store.knex);
  const master = def.component ? (rec.data[def.component.joinField] as string | null) : null;
  const childLabels = new Map<string, Map<string, string>>();
  for (const c of comps) childLabels.set(c.name, await referenceLabels(store, c, (children.get(c.name) ?? []).map((r) => r.data)));
  return html`
${master ? html`<p><a href="${recordHref(def.component!.master, master)}">${M.common.back}: ${labels.get(master) ?? master}</a></p>` : ''}
${rec.deleted ? html`<p class="notice bad">${M.records.deletedFlag}</p>` : ''}
${def.referenceData ? html`<p class="notice">${M.records.referenceData}</p>` : ''}
${fieldsTable(def, rec, labels)}
${writable && !rec.deleted
  ? html`<div class="actions"><a class="button" href="${recordHref(def.name, rec.uuid)}/edit">${M.common.edit}</a>
<a class="button secondary" href="${recordHref(def.name, rec.uuid)}/delete">${M.common.delete}</a></div>`
  : ''}
${comps.length
  ? html`<section aria-labelledby="h-components"><h2 id="h-components">${M.records.components}</h2>
${comps.map((c) => {
  const list = children.get(c.name) ?? [];
  const cols = c.fields.filter((f) => f.name !== c.component!.joinField && f.type !== 'text' && f.type !== 'json').slice(0, 6);
  return html`<h3>${c.title}</h3>
${list.length
  ? html`<div class="scroll"><table><thead><tr>${cols.map((f) => html`<th scope="col">${fieldLabel(f)}</th>`)}<th scope="col"><span class="sr-only">${M.common.edit}</span></th></tr></thead><tbody>
${list.map((r) => html`<tr>${cols.map((f) => html`<td>${cell(f, r.data[f.name] ?? null, childLabels.get(c.name)!)}</td>`)}<td><a href="${recordHref(c.name, r.uuid)}">${recordLabel(c, r.data, r.uuid)}</a>${writable ? html` · <a href="${recordHref(c.name, r.uuid)}/edit">${M.common.edit}</a>` : ''}</td></tr>`)}
</tbody></table></div>`
  : html`<p class="muted">${M.records.empty}</p>`}
${writable && (c.component!.multiple || !list.length) ? html`<p><a href="/console/records/${c.name}/new${qs({ [c.component!.joinField]: rec.uuid })}">${M.records.addComponent(c.title)}</a></p>` : ''}`;
})}</section>`
  : ''}
<section aria-labelledby="h-history"><h2 id="h-history">${M.records.history}</h2>
<dl class="facts">
<dt>${M.records.current}</dt><dd>${timeEl(rec.modified_on)}</dd>
<dt>${M.records.changedBy}</dt><dd>${site(rec.changed_by)}</dd>
<dt>${M.records.origin}</dt><dd>${site(rec.origin)} (${timeEl(rec.created_on)})</dd>
<dt>${M.records.versionVector}</dt><dd>${Object.entries(rec.version).map(([k, n]) => html`<span>${site(k)}: ${n}</span> `)}</dd>
</dl>
${versions.length
  ? html`<p class="muted">${M.records.historyKept(keep)}</p><div class="scroll"><table id="versions"><thead><tr><th scope="col">${M.records.when}</th><th scope="col">${M.records.from}</th><th scope="col">${M.records.changedBy}</th><th scope="col">${M.records.whatChanged}</th></tr></thead><tbody>
${versions.map((v) => html`<tr><td>${timeEl(v.modified_on)}</td><td>${sourceText(v)}</td><td>${v.changed_by_site}</td><td>${changesList(def, v, versionLabels)}</td></tr>`)}
</tbody></table></div>`
  : html`<p class="muted">${M.records.historyNote}</p>`}
${conflicts.length
  ? html`<h3>${M.records.decisions}</h3><div class="scroll"><table><thead><tr><th scope="col">#</th><th scope="col">${M.records.modified}</th><th scope="col">${M.records.changedBy}</th><th scope="col">${M.conflicts.title}</th></tr></thead><tbody>
${conflicts.map((c) => html`<tr><td><a href="/console/conflicts/${c.id}">${c.id}</a></td><td>${timeEl(c.decided_on)}</td><td>${site(c.local.changed_by)} / ${site(c.remote.changed_by)}</td><td>${c.winner}${c.reversed_on ? html` (reversed ${timeEl(c.reversed_on)})` : ''}</td></tr>`)}
</tbody></table></div>`
  : ''}
</section>`;
}

function sourceText(v: VersionView): string {
  if (v.source === 'peer') return M.records.fromPeer(v.source_label, v.via);
  return v.source === 'import' ? M.records.fromImport(v.source_label) : M.records.fromUser(v.source_label);
}

/** The fields a version changed, before and after (every set field for the first one kept). */
function changesList(def: ResourceDef, v: VersionView, labels: Map<string, string>): Html {
  if (!v.changes.length) return html`<span class="muted">${M.common.none}</span>`;
  return html`<ul class="changes">${v.changes.map((c) => {
    const fd = def.fields.find((x) => x.name === c.field);
    const label = fd ? fieldLabel(fd) : c.field === '$deleted' ? M.records.status : c.field;
    // A reference shows as the record page shows it: a link named after the record it points at.
    const val = (x: FieldValue): Html | string => (fd ? cell(fd, x, labels) : showValue(x)) || '—';
    return html`<li><span class="field">${label}</span>: ${c.before === undefined ? '' : html`<del>${val(c.before)}</del> → `}<ins>${val(c.after)}</ins></li>`;
  })}</ul>`;
}

/** Reference targets offered in a select when they are few enough; else a uuid box. */
async function referenceOptions(store: Store, f: FieldDef): Promise<{ uuid: string; label: string }[] | undefined> {
  const target = store.registry.get(f.resource!);
  if ((await store.count(target.name)) > 300) return undefined;
  return (await store.list(target.name)).map((r) => ({ uuid: r.uuid, label: recordLabel(target, r.data, r.uuid) }));
}

export interface FormState {
  values: Record<string, string>;
  error?: { field?: string; message: string };
}

/** Form values as text, from a stored record. */
export function formValues(def: ResourceDef, data: Record<string, FieldValue>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of def.fields) {
    const v = data[f.name] ?? null;
    if (v === null) out[f.name] = '';
    else if (f.type === 'datetime' && typeof v === 'string') out[f.name] = v.slice(0, 16);
    else if (f.type === 'json') out[f.name] = JSON.stringify(v);
    else if (f.type === 'boolean') out[f.name] = v ? 'true' : 'false';
    else out[f.name] = String(v);
  }
  return out;
}

/** Form text back to a patch for the store: empty means no value; the store checks the rest. */
export function formPatch(def: ResourceDef, body: Record<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const f of def.fields) {
    if (!(f.name in body)) continue;
    const raw = body[f.name];
    const v = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    patch[f.name] = typeof v === 'string' && v.trim() === '' ? null : v;
  }
  return patch;
}

export async function recordForm(store: Store, def: ResourceDef, opts: { action: string; csrf: string; state: FormState; fixed?: string }): Promise<Html> {
  const controls: Html[] = [];
  for (const f of def.fields) {
    const id = `f-${f.name}`;
    const v = opts.state.values[f.name] ?? '';
    const err = opts.state.error?.field === f.name ? opts.state.error.message : undefined;
    const describedBy = err ? `${id}-err` : undefined;
    if (f.name === opts.fixed) {
      controls.push(html`<input type="hidden" name="${f.name}" value="${v}">`);
      continue;
    }
    const common = html` id="${id}" name="${f.name}"${f.required ? html` required aria-required="true"` : ''}${err ? html` aria-invalid="true" aria-describedby="${describedBy}"` : ''}`;
    let control: Html;
    if (f.options) {
      control = html`<select${common}><option value="">${M.records.choose}</option>${f.options.map((o) => html`<option${o === v ? html` selected` : ''}>${o}</option>`)}</select>`;
    } else if (f.type === 'reference') {
      const options = await referenceOptions(store, f);
      control = options
        ? html`<select${common}><option value="">${M.records.choose}</option>${options.map((o) => html`<option value="${o.uuid}"${o.uuid === v ? html` selected` : ''}>${o.label}</option>`)}</select>`
        : html`<input type="text"${common} value="${v}" pattern="urn:uuid:.*">`;
    } else if (f.type === 'boolean') {
      control = html`<select${common}><option value="">${M.records.choose}</option><option value="true"${v === 'true' ? html` selected` : ''}>${M.common.yes}</option><option value="false"${v === 'false' ? html` selected` : ''}>${M.common.no}</option></select>`;
    } else if (f.type === 'text' || f.type === 'json') {
      control = html`<textarea${common}>${v}</textarea>`;
    } else {
      const type = f.type === 'integer' || f.type === 'double' ? 'number' : f.type === 'date' ? 'date' : f.type === 'datetime' ? 'datetime-local' : 'text';
      const extra = f.type === 'integer' ? html` step="1" inputmode="numeric"` : f.type === 'double' ? html` step="any" inputmode="decimal"` : f.type === 'string' ? html` maxlength="${f.length ?? 255}"` : '';
      control = html`<input type="${type}"${common}${extra} value="${v}">`;
    }
    controls.push(html`<div><label for="${id}">${fieldLabel(f)}${f.required ? html` <span class="muted">(${M.records.required})</span>` : ''}${f.type === 'datetime' ? ' (UTC)' : ''}</label>
${control}${err ? html`<p id="${describedBy}" class="field-error">${err}</p>` : ''}</div>`);
  }
  const general = opts.state.error && !def.fields.some((f) => f.name === opts.state.error!.field) ? opts.state.error.message : undefined;
  return html`${general ? html`<p class="notice bad" role="alert">${general}</p>` : ''}
${opts.state.error?.field ? html`<p class="notice bad" role="alert">${fieldLabel(store.registry.field(def.name, opts.state.error.field) ?? { name: opts.state.error.field, type: 'string' })}: ${opts.state.error.message}</p>` : ''}
<form class="stack" method="post" action="${opts.action}">
<input type="hidden" name="_csrf" value="${opts.csrf}">
${controls}
<div class="actions"><button type="submit">${M.common.save}</button></div>
</form>`;
}

export function deleteConfirmPage(def: ResourceDef, rec: StoredRecord, csrf: string): Html {
  return html`<p>${recordLabel(def, rec.data, rec.uuid)}</p><p>${M.records.deleteConfirm}</p>
<form method="post" action="${recordHref(def.name, rec.uuid)}/delete" class="actions">
<input type="hidden" name="_csrf" value="${csrf}">
<button type="submit" class="danger">${M.common.delete}</button>
<a href="${recordHref(def.name, rec.uuid)}">${M.common.cancel}</a></form>`;
}
