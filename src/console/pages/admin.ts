import type { Partner } from '../../interchange/partners.js';
import { listStoredPartners, partnerFormats } from '../../interchange/partner-tokens.js';
import { Accounts, published, ROLES } from '../../auth/index.js';
import { historyKeep, type Store } from '../../store/index.js';
import { staleAfterSeconds } from '../../sync/index.js';
import { timeEl } from '../format.js';
import { html, type Html } from '../html.js';
import { M } from '../messages.js';
import { feedFormats } from './standards.js';

const csrfField = (csrf: string): Html => html`<input type="hidden" name="_csrf" value="${csrf}">`;

/** Everything that can be opened without sign-in: each feed, and each master resource's S3XML. */
export function publishable(store: Store): string[] {
  const feeds = [...new Set(feedFormats().map((f) => `feed:${f.name === 'cap-atom' ? 'cap' : f.name}`))];
  return [...feeds, ...store.registry.masters().filter((r) => !r.referenceData).map((r) => `s3xml:${r.name}`)];
}

export async function adminPage(store: Store, opts: { csrf: string; partners: Partner[]; notice?: string }): Promise<Html> {
  const accounts = new Accounts(store);
  const users = await accounts.list();
  const tokens = await accounts.tokens();
  const open = new Set(await published(store));
  const staleH = Math.round((await staleAfterSeconds(store)) / 3600);
  const keep = await historyKeep(store.knex);
  const added = await listStoredPartners(store);
  const enc = encodeURIComponent;
  return html`${opts.notice ? html`<p class="notice ok" role="status" id="admin-notice">${opts.notice}</p>` : ''}
<section aria-labelledby="h-users"><h2 id="h-users">${M.admin.users}</h2>
<div class="scroll"><table id="users"><thead><tr><th scope="col">${M.admin.user}</th><th scope="col">${M.admin.role}</th><th scope="col">${M.admin.since}</th><th scope="col"><span class="sr-only">${M.admin.remove}</span></th></tr></thead><tbody>
${users.map(
  (u) => html`<tr data-user="${u.name}"><th scope="row">${u.name}</th>
<td><form method="post" action="/console/admin/users/${enc(u.name)}/role" class="actions">${csrfField(opts.csrf)}<label class="sr-only" for="role-${u.name}">${M.admin.roleOf(u.name)}</label><select id="role-${u.name}" name="role">${ROLES.map((r) => html`<option${r === u.role ? html` selected` : ''}>${r}</option>`)}</select><button type="submit" class="secondary">${M.admin.setRole}</button></form></td>
<td>${timeEl(u.created_on)}</td>
<td><form method="post" action="/console/admin/users/${enc(u.name)}/remove" data-confirm="${M.admin.removeUser(u.name)}">${csrfField(opts.csrf)}<button type="submit" class="danger">${M.admin.remove}</button></form></td></tr>`,
)}
</tbody></table></div>
<form class="stack card" method="post" action="/console/admin/users">${csrfField(opts.csrf)}<h3>${M.admin.addUser}</h3>
<div><label for="new-user">${M.admin.name}</label><input id="new-user" name="name" required maxlength="64" autocomplete="off"></div>
<div><label for="new-role">${M.admin.role}</label><select id="new-role" name="role">${ROLES.map((r) => html`<option>${r}</option>`)}</select></div>
<div><label for="new-password">${M.admin.password}</label><input id="new-password" name="password" type="password" autocomplete="new-password" maxlength="1024"></div>
<div><button type="submit">${M.admin.addUser}</button></div></form></section>
<section aria-labelledby="h-tokens"><h2 id="h-tokens">${M.admin.tokens}</h2>
${tokens.length
  ? html`<div class="scroll"><table><thead><tr><th scope="col">${M.admin.user}</th><th scope="col">${M.admin.tokenLabel}</th><th scope="col">${M.admin.since}</th><th scope="col">${M.admin.lastUsed}</th><th scope="col"><span class="sr-only">${M.admin.revoke}</span></th></tr></thead><tbody>
${tokens.map((t) => html`<tr><td>${t.user}</td><td>${t.label}</td><td>${timeEl(t.created_on)}</td><td>${timeEl(t.last_used_on)}</td><td><form method="post" action="/console/admin/tokens/${enc(t.id)}/revoke">${csrfField(opts.csrf)}<button type="submit" class="danger">${M.admin.revoke}</button></form></td></tr>`)}
</tbody></table></div>`
  : html`<p>${M.common.none}</p>`}
<form class="actions" method="post" action="/console/admin/tokens">${csrfField(opts.csrf)}
<label for="token-user">${M.admin.tokenFor}</label><select id="token-user" name="user">${users.map((u) => html`<option>${u.name}</option>`)}</select>
<label for="token-label">${M.admin.tokenLabel}</label><input id="token-label" name="label" maxlength="64">
<button type="submit">${M.admin.createToken}</button></form></section>
<section aria-labelledby="h-published"><h2 id="h-published">${M.admin.published}</h2><p>${M.admin.publishedHelp}</p>
<form method="post" action="/console/admin/published">${csrfField(opts.csrf)}<fieldset><legend>${M.admin.published}</legend>
${publishable(store).map((i) => html`<label style="display:block"><input type="checkbox" name="items" value="${i}"${open.has(i) ? html` checked` : ''}> <code>${i}</code></label>`)}
</fieldset><button type="submit">${M.admin.savePublished}</button></form></section>
<section aria-labelledby="h-partners"><h2 id="h-partners">${M.admin.partners}</h2><p class="muted">${M.admin.partnersHelp}</p>
${opts.partners.length || added.length
  ? html`<div class="scroll"><table id="partners"><thead><tr><th scope="col">${M.admin.name}</th><th scope="col">${M.admin.formats}</th><th scope="col">${M.admin.resources}</th><th scope="col">${M.admin.signature}</th><th scope="col">${M.admin.partnerSource}</th><th scope="col"><span class="sr-only">${M.admin.revoke}</span></th></tr></thead><tbody>
${added.map((p) => html`<tr data-partner="${p.name}"><th scope="row">${p.name}</th><td>${p.formats.join(', ')}</td><td>${p.resources.join(', ')}</td><td>${M.common.no}</td><td>${M.admin.partnerAdded} ${timeEl(p.created_on)}</td>
<td><form method="post" action="/console/admin/partners/${enc(p.name)}/revoke" data-confirm="${M.admin.revokePartner(p.name)}">${csrfField(opts.csrf)}<button type="submit" class="danger">${M.admin.revoke}</button></form></td></tr>`)}
${opts.partners.map((p) => html`<tr data-partner="${p.name}"><th scope="row">${p.name}</th><td>${p.formats.join(', ')}</td><td>${p.resources.join(', ')}</td><td>${p.requireSignature ? M.common.yes : M.common.no}</td><td>${M.admin.partnerFromFile}</td><td></td></tr>`)}</tbody></table></div>`
  : html`<p>${M.admin.noPartners}</p>`}
<form class="stack card" method="post" action="/console/admin/partners">${csrfField(opts.csrf)}<h3>${M.admin.addPartner}</h3>
<div><label for="partner-name">${M.admin.partnerName}</label><input id="partner-name" name="name" required maxlength="64" autocomplete="off"></div>
<fieldset><legend>${M.admin.partnerFormats}</legend>${partnerFormats().map((f) => html`<label style="display:block"><input type="checkbox" name="formats" value="${f.name}"> ${f.title} <span class="muted">${f.name}</span></label>`)}</fieldset>
<fieldset><legend>${M.admin.partnerResources}</legend>${store.registry.masters().filter((r) => !r.referenceData).map((r) => html`<label style="display:block"><input type="checkbox" name="resources" value="${r.name}"> ${r.title} <span class="muted">${r.name}</span></label>`)}</fieldset>
<div><button type="submit">${M.admin.addPartner}</button></div></form></section>
<section aria-labelledby="h-settings"><h2 id="h-settings">${M.admin.settings}</h2>
<form class="stack" method="post" action="/console/admin/settings">${csrfField(opts.csrf)}
<div><label for="stale-hours">${M.admin.staleAfter}</label><input id="stale-hours" name="stale_hours" type="number" min="1" step="1" inputmode="numeric" value="${staleH}" required></div>
<div><label for="history-keep">${M.admin.historyKeep}</label><input id="history-keep" name="history_keep" type="number" min="0" step="1" inputmode="numeric" value="${keep}" required aria-describedby="history-keep-help"><p id="history-keep-help" class="muted">${M.admin.historyKeepHelp}</p></div>
<div><button type="submit">${M.admin.saveSettings}</button></div></form></section>`;
}
