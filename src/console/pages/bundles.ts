import type { Store } from '../../store/index.js';
import { Peers } from '../../sync/index.js';
import type { BundlePreview, ImportResult } from '../../transports/bundle/import.js';
import { timeEl } from '../format.js';
import { html, type Html } from '../html.js';
import { M } from '../messages.js';

const csrfField = (csrf: string): Html => html`<input type="hidden" name="_csrf" value="${csrf}">`;

export async function bundlesPage(store: Store, csrf: string): Promise<Html> {
  const peers = new Peers(store);
  const list = await peers.list();
  const clusters = await peers.clusters();
  return html`<div class="grid">
<section class="card" aria-labelledby="h-export"><h2 id="h-export">${M.bundles.export}</h2><p>${M.bundles.exportHelp}</p>
${list.length
  ? html`<form class="stack" method="post" action="/console/bundles/export">${csrfField(csrf)}
<div><label for="b-target">${M.bundles.target}</label><select id="b-target" name="target" required>
${list.map((p) => html`<option value="peer:${p.uuid}">${p.name}</option>`)}${clusters.map((c) => html`<option value="cluster:${c.name}">${M.bundles.cluster(c.name)}</option>`)}
</select></div><div><button type="submit">${M.bundles.download}</button></div></form>`
  : html`<p>${M.bundles.noPeers}</p>`}
</section>
<section class="card" aria-labelledby="h-import"><h2 id="h-import">${M.bundles.import}</h2><p>${M.bundles.importHelp}</p>
<form class="stack" method="post" action="/console/bundles/preview" enctype="multipart/form-data">${csrfField(csrf)}
<div><label for="b-file">${M.bundles.file}</label><input id="b-file" name="bundle" type="file" accept=".tmb,application/vnd.tidemark.bundle" required></div>
<div><button type="submit">${M.bundles.preview}</button></div></form>
</section></div>`;
}

export function previewPage(p: BundlePreview, uploadId: string, csrf: string): Html {
  return html`<dl class="facts"><dt>${M.bundles.from}</dt><dd>${p.sender.name}</dd><dt>${M.bundles.created}</dt><dd>${timeEl(p.header.created_on)}</dd><dt>${M.bundles.kind}</dt><dd>${p.header.kind}</dd><dt>${M.bundles.records}</dt><dd>${p.header.body.records}</dd></dl>
${p.repeat ? html`<p class="notice warn">${M.bundles.repeat}</p>` : ''}
${p.resources.length
  ? html`<div class="scroll"><table id="preview"><thead><tr><th scope="col">${M.peers.resource}</th><th scope="col" class="n">${M.bundles.records}</th><th scope="col" class="n">${M.bundles.create}</th><th scope="col" class="n">${M.bundles.update}</th><th scope="col" class="n">${M.bundles.unchanged}</th><th scope="col" class="n">${M.bundles.conflicts}</th><th scope="col">${M.bundles.skipped}</th></tr></thead><tbody>
${p.resources.map((r) => html`<tr data-resource="${r.resource}"><td>${r.resource}</td><td class="n">${r.records}</td><td class="n">${r.create}</td><td class="n">${r.update}</td><td class="n">${r.unchanged}</td><td class="n">${r.conflicts}</td><td>${r.skipped ?? ''}</td></tr>`)}
</tbody></table></div>`
  : ''}
<form method="post" action="/console/bundles/import" class="actions">${csrfField(csrf)}<input type="hidden" name="upload" value="${uploadId}"><button type="submit">${M.bundles.apply}</button><a href="/console/bundles">${M.common.cancel}</a></form>`;
}

export function importResultPage(r: ImportResult, ackId: string | null): Html {
  return html`<dl class="facts" id="import-result"><dt>${M.bundles.from}</dt><dd>${r.sender.name}</dd><dt>${M.bundles.received}</dt><dd>${r.received}</dd><dt>${M.bundles.applied}</dt><dd>${r.applied}</dd><dt>${M.runs.created}</dt><dd>${r.created}</dd><dt>${M.runs.updated}</dt><dd>${r.updated}</dd><dt>${M.runs.refused}</dt><dd>${r.refused}</dd><dt>${M.bundles.conflicts}</dt><dd>${r.conflicts}</dd></dl>
${r.warnings.length ? html`<h2>${M.bundles.warnings}</h2><ul>${r.warnings.map((w) => html`<li>${w}</li>`)}</ul>` : ''}
${ackId ? html`<p><a class="button" href="/console/bundles/ack/${ackId}" download>${M.bundles.ack}</a></p>` : ''}
<p><a href="/console/bundles">${M.common.back}</a></p>`;
}
