import type { Store } from '../../store/index.js';
import {
  formatFilters,
  jobProgress,
  parseFilters,
  peerCursors,
  Peers,
  POLICIES,
  resourceGroups,
  type Direction,
  type Peer,
  type PolicyName,
  type SyncConfig,
  type SyncJob,
  type SyncPlan,
} from '../../sync/index.js';
import { listCandidates } from '../../transports/discovery/candidates.js';
import { duration, resultBadge, timeEl } from '../format.js';
import { html, type Html } from '../html.js';
import { M } from '../messages.js';

const peerHref = (uuid: string): string => `/console/peers/${encodeURIComponent(uuid)}`;
const csrfField = (csrf: string): Html => html`<input type="hidden" name="_csrf" value="${csrf}">`;

export async function peersPage(store: Store, opts: { csrf: string; canAdmin: boolean; myUrl: string; pairUrl?: string }): Promise<Html> {
  const peers = new Peers(store);
  const list = await peers.list();
  const effective = await Promise.all(list.map((p) => peers.effective(p)));
  const clusters = await peers.clusters();
  const candidates = opts.canAdmin ? (await listCandidates(store.knex).catch(() => [])).filter((c) => !list.some((p) => p.uuid === c.uuid)) : [];
  return html`<section aria-labelledby="h-peers"><h2 id="h-peers">${M.peers.peers}</h2>
${list.length
  ? html`<div class="scroll"><table><thead><tr><th scope="col">${M.peers.name}</th><th scope="col">${M.peers.url}</th><th scope="col">${M.peers.clustersOf}</th><th scope="col">${M.peers.inForce}</th><th scope="col">${M.overview.lastAttempt}</th></tr></thead><tbody>
${list.map((p, i) => {
  const e = effective[i]!;
  return html`<tr><th scope="row"><a href="${peerHref(p.uuid)}">${p.name}</a></th><td>${p.url ?? html`<span class="muted">${M.overview.callsUs}</span>`}</td><td>${p.clusters.join(', ')}</td>
<td>${M.peers.directions[e.direction]}, ${e.policy}, ${e.resources.length} ${M.peers.resources.toLowerCase()}, ${e.interval} s${e.window ? `, ${M.peers.windowShort(e.window)}` : ''}</td><td>${resultBadge(p.last_result)} ${p.last_sync_on ? timeEl(p.last_sync_on) : ''}</td></tr>`;
})}</tbody></table></div>`
  : html`<p>${M.overview.noPeers}</p>`}
</section>
<section aria-labelledby="h-clusters"><h2 id="h-clusters">${M.peers.clusters}</h2>
${clusters.length ? html`<ul>${clusters.map((c) => html`<li id="cluster-${c.name}"><a href="/console/clusters/${encodeURIComponent(c.name)}">${c.name}</a>: ${list.filter((p) => p.clusters.includes(c.name)).map((p) => p.name).join(', ')}</li>`)}</ul>` : html`<p>${M.peers.noClusters}</p>`}
${opts.canAdmin ? html`<form method="get" action="/console/clusters" class="actions"><label for="new-cluster">${M.peers.newCluster}</label><input id="new-cluster" name="name" pattern="[A-Za-z0-9_.-]{1,64}" required><button type="submit" class="secondary">${M.common.create}</button></form>` : ''}
</section>
${opts.canAdmin
  ? html`<section aria-labelledby="h-pair" class="grid">
<div class="card"><h2 id="h-invite">${M.peers.invite}</h2><p>${M.peers.inviteHelp}</p>
<form method="post" action="/console/peers/invite">${csrfField(opts.csrf)}<button type="submit">${M.peers.invite}</button></form></div>
<div class="card"><h2 id="h-pair">${M.peers.pair}</h2>
<form class="stack" method="post" action="/console/peers/pair">${csrfField(opts.csrf)}
<div><label for="pair-url">${M.peers.pairUrl}</label><input id="pair-url" name="url" type="url" required value="${opts.pairUrl ?? ''}"></div>
<div><label for="pair-code">${M.peers.pairCode}</label><input id="pair-code" name="code" required autocomplete="off"></div>
<div><label for="pair-name">${M.peers.pairName}</label><input id="pair-name" name="name"></div>
<div><label for="pair-pin">${M.peers.pairPin}</label><input id="pair-pin" name="pin" autocomplete="off" spellcheck="false" aria-describedby="pair-pin-help"><p id="pair-pin-help" class="muted">${M.peers.pairPinHelp}</p></div>
<div><label for="pair-my-url">${M.peers.myUrl}</label><input id="pair-my-url" name="my_url" type="url" value="${opts.myUrl}"></div>
<div><button type="submit">${M.peers.pairSubmit}</button></div></form></div>
</section>
${candidates.length
  ? html`<section aria-labelledby="h-candidates"><h2 id="h-candidates">${M.peers.candidates}</h2><ul>${candidates.map((c) => html`<li>${c.name} <code>${c.url}</code> <a href="/console/peers?url=${encodeURIComponent(c.url)}#h-pair">${M.peers.pairCandidate}</a></li>`)}</ul></section>`
  : ''}`
  : ''}`;
}

export function inviteResult(code: string, expires: string): Html {
  return html`<p>${M.peers.inviteHelp}</p><dl class="facts"><dt>${M.peers.inviteMade}</dt><dd><code id="invite-code">${code}</code></dd><dt>${M.peers.validUntil}</dt><dd>${timeEl(expires)}</dd></dl><p><a href="/console/peers">${M.common.back}</a></p>`;
}

/** The settings form shared by peers and clusters: resources by group, policies, direction, schedule. */
export function configForm(store: Store, opts: { action: string; csrf: string; own: SyncConfig; clusters?: string[]; error?: string }): Html {
  const c = opts.own;
  const all = !c.resources;
  const ticked = new Set(c.resources ?? []);
  const policy = (name: string, id: string, value: PolicyName | undefined, inherit: boolean): Html =>
    html`<select id="${id}" name="${name}">${inherit ? html`<option value="">${M.peers.policyInherit}</option>` : ''}${POLICIES.map((p) => html`<option${p === value ? html` selected` : ''}>${p}</option>`)}</select>`;
  return html`${opts.error ? html`<p class="notice bad" role="alert">${opts.error}</p>` : ''}
<form class="stack" method="post" action="${opts.action}">${csrfField(opts.csrf)}
<fieldset><legend>${M.peers.resources}</legend>
<p><label><input type="checkbox" name="all" value="1" data-all="res"${all ? html` checked` : ''}> ${M.peers.all}</label> <span class="muted">${M.peers.allHelp}</span></p>
<div class="scroll"><table><thead><tr><th scope="col">${M.peers.resource}</th><th scope="col">${M.peers.policy}</th></tr></thead><tbody>
${resourceGroups(store.registry).map(
  (g) => html`${g.resources.map((r, i) => {
    const def = store.registry.get(r);
    return html`<tr><td${i ? html` style="padding-left:1.6rem"` : ''}><label><input type="checkbox" name="resources" value="${r}" data-group="res"${all || ticked.has(r) ? html` checked` : ''}> ${def.title}</label> <span class="muted">${r}</span></td>
<td><label class="sr-only" for="pol-${r}">${M.peers.policy}: ${def.title}</label>${policy(`policy_${r}`, `pol-${r}`, c.policies?.[r], true)}</td></tr>`;
  })}`,
)}
</tbody></table></div></fieldset>
<div><label for="cfg-direction">${M.peers.direction}</label><select id="cfg-direction" name="direction"><option value="">${M.peers.policyInherit}</option>${(['both', 'pull', 'push'] as Direction[]).map((d) => html`<option value="${d}"${c.direction === d ? html` selected` : ''}>${M.peers.directions[d]}</option>`)}</select></div>
<div><label for="cfg-policy">${M.peers.policyDefault}</label>${policy('policy', 'cfg-policy', c.policy, true)}</div>
<div><label for="cfg-interval">${M.peers.interval}</label><input id="cfg-interval" name="interval" type="number" min="1" step="1" inputmode="numeric" value="${c.interval ?? ''}"></div>
<div><label for="cfg-window">${M.peers.window}</label><input id="cfg-window" name="window" placeholder="22:00-06:00" autocomplete="off" value="${c.window ?? ''}"></div>
<div><label for="cfg-filters">${M.peers.filters}</label><textarea id="cfg-filters" name="filters">${formatFilters(c.filters).join('\n')}</textarea></div>
${opts.clusters ? html`<div><label for="cfg-clusters">${M.peers.clusterNames}</label><input id="cfg-clusters" name="clusters" value="${opts.clusters.join(', ')}"></div>` : ''}
<div><button type="submit">${M.peers.save}</button></div>
</form>`;
}

const asList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);
const one = (v: unknown): string => asList(v).pop()?.trim() ?? '';

/** The settings form back to a SyncConfig (every key present, so clearing a field clears it). */
export function configFromForm(store: Store, body: Record<string, unknown>): SyncConfig & { clusters?: string[] } {
  const policies: Record<string, PolicyName> = {};
  for (const g of resourceGroups(store.registry)) for (const r of g.resources) if (one(body[`policy_${r}`])) policies[r] = one(body[`policy_${r}`]) as PolicyName;
  const interval = one(body.interval);
  const filters = asList(body.filters).join('\n').split(/\r?\n/).filter((l) => l.trim());
  return {
    resources: one(body.all) === '1' ? undefined : asList(body.resources),
    direction: (one(body.direction) || undefined) as Direction | undefined,
    policy: (one(body.policy) || undefined) as PolicyName | undefined,
    policies: Object.keys(policies).length ? policies : undefined,
    interval: interval ? Number(interval) : undefined,
    window: one(body.window) || undefined,
    filters: filters.length ? parseFilters(filters) : undefined,
    ...('clusters' in body ? { clusters: one(body.clusters).split(',').map((s) => s.trim()).filter(Boolean) } : {}),
  };
}

export async function peerPage(store: Store, peer: Peer, opts: { csrf: string; canOperate: boolean; canAdmin: boolean; job?: SyncJob; error?: string }): Promise<Html> {
  const peers = new Peers(store);
  const e = await peers.effective(peer);
  const cursors = await peerCursors(store, peer.uuid);
  return html`<dl class="facts">
<dt>${M.peers.url}</dt><dd>${peer.url ?? M.peers.noUrl}</dd>
${peer.pin ? html`<dt>${M.peers.pin}</dt><dd><code id="peer-pin">${peer.pin}</code></dd>` : ''}
<dt>${M.overview.uuid}</dt><dd><code>${peer.uuid}</code></dd>
<dt>${M.peers.clustersOf}</dt><dd>${peer.clusters.join(', ') || M.common.none}</dd>
<dt>${M.peers.inForce}</dt><dd>${M.peers.directions[e.direction]}, ${e.policy}, ${e.interval} s${e.window ? `, ${M.peers.windowShort(e.window)}` : ''}; ${e.resources.join(', ')}</dd>
<dt>${M.peers.paired}</dt><dd>${timeEl(peer.created_on)}</dd>
<dt>${M.overview.lastAttempt}</dt><dd>${resultBadge(peer.last_result)} ${peer.last_sync_on ? timeEl(peer.last_sync_on) : ''}</dd>
</dl>
${opts.canOperate && peer.url
  ? html`<div class="actions">
<form method="post" action="${peerHref(peer.uuid)}/dry-run" hx-post="${peerHref(peer.uuid)}/dry-run" hx-target="#sync-panel" hx-swap="innerHTML">${csrfField(opts.csrf)}<button type="submit" class="secondary">${M.peers.dryRun}</button></form>
<form method="post" action="${peerHref(peer.uuid)}/sync" hx-post="${peerHref(peer.uuid)}/sync" hx-target="#sync-panel" hx-swap="innerHTML">${csrfField(opts.csrf)}<button type="submit">${M.peers.syncNow}</button></form>
</div><p class="muted">${M.peers.dryRunHelp}</p>`
  : ''}
<div id="sync-panel" aria-live="polite">${opts.job ? jobPanel(peer, opts.job, opts.csrf, opts.canOperate) : ''}</div>
${opts.canOperate ? html`<h2>${M.peers.settings}</h2>${configForm(store, { action: `${peerHref(peer.uuid)}/settings`, csrf: opts.csrf, own: peer.config, clusters: peer.clusters, error: opts.error })}` : ''}
<h2>${M.peers.cursors}</h2>
<div class="scroll"><table><thead><tr><th scope="col">${M.peers.resource}</th><th scope="col">${M.peers.heldTheirs}</th><th scope="col">${M.peers.heldMine}</th></tr></thead><tbody>
${[...cursors].map(([r, c]) => html`<tr><td>${r}</td><td><code>${c.held ?? '-'}</code></td><td>${c.acked ?? '-'}${c.reset ? html` <span class="badge warn">${M.peers.restart}</span>` : ''}</td></tr>`)}
</tbody></table></div>
${opts.canAdmin ? html`<h2>${M.peers.remove}</h2><form method="post" action="${peerHref(peer.uuid)}/remove" data-confirm="${M.peers.removeConfirm(peer.name)}">${csrfField(opts.csrf)}<button type="submit" class="danger">${M.peers.remove}</button></form>` : ''}`;
}

export function planPanel(peer: Peer, plan: SyncPlan, csrf: string): Html {
  return html`<h2>${M.peers.plan}</h2>
${plan.resources.length
  ? html`<div class="scroll"><table id="plan"><thead><tr><th scope="col">${M.peers.resource}</th><th scope="col" class="n">${M.peers.receive}</th><th scope="col" class="n">${M.peers.send}</th><th scope="col" class="n">${M.peers.bytesAbout}</th></tr></thead><tbody>
${plan.resources.map((r) => html`<tr><td>${r.resource}</td><td class="n">${r.receive}</td><td class="n">${r.send}</td><td class="n">${M.common.bytes(r.receiveBytes + r.sendBytes)}</td></tr>`)}
</tbody><tfoot><tr><th scope="row">${M.peers.total}</th><td class="n" data-total="receive">${plan.receive}</td><td class="n" data-total="send">${plan.send}</td><td class="n">${M.common.bytes(plan.bytes)}</td></tr></tfoot></table></div>`
  : html`<p>${M.peers.planNone}</p>`}
<form method="post" action="${peerHref(peer.uuid)}/sync" hx-post="${peerHref(peer.uuid)}/sync" hx-target="#sync-panel" hx-swap="innerHTML">${csrfField(csrf)}<button type="submit">${M.peers.syncNow}</button></form>`;
}

/** Live progress of a sync job; polls itself while the job runs. */
export function jobPanel(peer: Peer, job: SyncJob, csrf: string, canOperate: boolean): Html {
  const p = jobProgress(job);
  const running = job.state === 'running';
  const url = `${peerHref(peer.uuid)}/jobs/${job.id}`;
  return html`<section id="job" data-job="${job.id}" data-state="${job.state}"${running ? html` hx-get="${url}" hx-trigger="every 1s" hx-swap="outerHTML"` : ''} aria-labelledby="h-job">
<h2 id="h-job">${M.peers.progress}: <span class="badge ${job.state === 'done' ? 'ok' : job.state === 'running' ? '' : 'warn'}">${M.peers.state[job.state]}</span></h2>
${p.total !== null ? html`<progress max="${Math.max(p.total, 1)}" value="${Math.min(p.done, p.total)}" aria-label="${M.peers.progress}"></progress><p id="job-count">${M.peers.doneOf(p.done, p.total)}</p>` : html`<p id="job-count">${M.peers.doneCount(p.done)}</p>`}
${p.leftMs !== null ? html`<p>${M.peers.left(duration(p.leftMs))}</p>` : ''}
<div class="scroll"><table><thead><tr><th scope="col">${M.peers.resource}</th><th scope="col" class="n">${M.peers.received}</th><th scope="col" class="n">${M.peers.sent}</th><th scope="col" class="n">${M.peers.bytes}</th></tr></thead><tbody>
${job.resources.map((r) => html`<tr data-resource="${r.resource}"><td>${r.resource}</td><td class="n">${r.received}</td><td class="n">${r.sent}</td><td class="n">${M.common.bytes(r.bytes)}</td></tr>`)}
</tbody><tfoot><tr><th scope="row">${M.peers.total}</th><td class="n" data-total="received">${job.resources.reduce((n, r) => n + r.received, 0)}</td><td class="n" data-total="sent">${job.resources.reduce((n, r) => n + r.sent, 0)}</td><td class="n">${M.common.bytes(p.bytes)}</td></tr></tfoot></table></div>
${job.report ? html`<p>${M.peers.result}: ${resultBadge(job.report.result)} ${job.report.message ?? ''} (${duration(job.report.durationMs)})</p>` : ''}
${canOperate && running ? html`<form method="post" action="${url}/cancel" hx-post="${url}/cancel" hx-target="#job" hx-swap="outerHTML">${csrfField(csrf)}<button type="submit" class="danger">${M.peers.cancel}</button></form>` : ''}
${canOperate && (job.state === 'cancelled' || job.state === 'failed') ? html`<form method="post" action="${peerHref(peer.uuid)}/sync" hx-post="${peerHref(peer.uuid)}/sync" hx-target="#sync-panel" hx-swap="innerHTML">${csrfField(csrf)}<button type="submit">${M.peers.resume}</button> <span class="muted">${M.peers.resumeHelp}</span></form>` : ''}
</section>`;
}
