import { listFormats } from '../../interchange/formats.js';
import type { InboundSummary } from '../../interchange/inbound.js';
import type { TextValidation } from '../../interchange/validate.js';
import { html, type Html } from '../html.js';
import { M } from '../messages.js';

const csrfField = (csrf: string): Html => html`<input type="hidden" name="_csrf" value="${csrf}">`;

/** Formats an agency can pull as a feed, and those a partner can send. */
export const feedFormats = () => listFormats().filter((f) => f.export && !f.native && !f.content);
export const inboundFormats = () => listFormats().filter((f) => f.import && !f.native && !f.content);

export function standardsPage(opts: { base: string; csrf: string; isPublic: (item: string) => boolean }): Html {
  return html`<section aria-labelledby="h-feeds"><h2 id="h-feeds">${M.standards.feeds}</h2>
<div class="scroll"><table id="feeds"><thead><tr><th scope="col">${M.standards.format}</th><th scope="col">${M.standards.url}</th><th scope="col">${M.standards.public}</th></tr></thead><tbody>
${feedFormats().map((f) => {
  const url = `${opts.base}/feeds/${f.name}`;
  return html`<tr><td>${f.title}</td><td><a href="${url}"><code>${url}</code></a></td><td>${opts.isPublic(`feed:${f.name === 'cap-atom' ? 'cap' : f.name}`) ? M.common.yes : M.common.no}</td></tr>`;
})}
</tbody></table></div></section>
<section class="card" aria-labelledby="h-validate"><h2 id="h-validate">${M.standards.validate}</h2><p>${M.standards.validateHelp}</p>
<form class="stack" method="post" action="/console/standards/validate" enctype="multipart/form-data">${csrfField(opts.csrf)}
<div><label for="s-format">${M.standards.format}</label><select id="s-format" name="format"><option value="">${M.standards.formatAuto}</option>${inboundFormats().map((f) => html`<option value="${f.name}">${f.title}</option>`)}</select></div>
<div><label for="s-file">${M.standards.file}</label><input id="s-file" name="document" type="file" accept=".xml,application/xml,text/xml" required></div>
<div><button type="submit">${M.standards.check}</button></div></form></section>`;
}

export function validationPage(v: TextValidation, opts: { uploadId: string; csrf: string; canImport: boolean }): Html {
  return html`${v.results.map(
    (r) => html`<p class="notice ${r.issues.length ? 'bad' : 'ok'}" role="status">${r.issues.length ? M.standards.invalid(v.format.title, r.source, r.issues.length) : M.standards.valid(v.format.title, r.source)}</p>
${r.issues.length
  ? html`<div class="scroll"><table class="issues"><thead><tr><th scope="col" class="n">${M.standards.line}</th><th scope="col">${M.standards.element}</th><th scope="col">${M.standards.problem}</th></tr></thead><tbody>
${r.issues.map((i) => html`<tr><td class="n">${i.line}</td><td>${i.element ? html`<code>${i.element}</code>` : ''}</td><td>${i.message}</td></tr>`)}</tbody></table></div>`
  : ''}`,
)}
${v.valid && opts.canImport && v.format.import
  ? html`<form method="post" action="/console/standards/import" class="actions">${csrfField(opts.csrf)}<input type="hidden" name="upload" value="${opts.uploadId}"><input type="hidden" name="format" value="${v.format.name}"><button type="submit">${M.standards.import}</button></form>`
  : ''}
<p><a href="/console/standards">${M.common.back}</a></p>`;
}

export function importedPage(s: InboundSummary): Html {
  return html`<p role="status" id="standards-imported">${M.standards.importedSummary(s.created, s.updated, s.unchanged)}</p><p><a href="/console/standards">${M.common.back}</a></p>`;
}
