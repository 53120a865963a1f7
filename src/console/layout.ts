import { html, type Html } from './html.js';
import { M } from './messages.js';
import { ASSET_VERSION } from './assets.js';
import type { ConsoleUser } from './auth.js';

export interface PageContext {
  user: ConsoleUser | undefined;
  /** The CSRF token every form and htmx request carries. */
  csrf: string;
  /** The request path, to mark the current section in the navigation. */
  path: string;
  instanceName: string;
}

interface NavItem {
  href: string;
  label: string;
  section: string;
  allowed: (u: ConsoleUser) => boolean;
}

/** The sections, shown to the roles that may open them (the routes check again). */
export function navItems(can: (u: ConsoleUser, perm: string) => boolean): NavItem[] {
  return [
    { href: '/', section: '/', label: M.nav.overview, allowed: (u) => can(u, 'console.read') },
    { href: '/console/records', section: '/console/records', label: M.nav.records, allowed: (u) => can(u, 'console.read') },
    { href: '/console/peers', section: '/console/peers', label: M.nav.peers, allowed: (u) => can(u, 'console.read') },
    { href: '/console/runs', section: '/console/runs', label: M.nav.runs, allowed: (u) => can(u, 'console.read') },
    { href: '/console/conflicts', section: '/console/conflicts', label: M.nav.conflicts, allowed: (u) => can(u, 'console.read') },
    { href: '/console/standards', section: '/console/standards', label: M.nav.standards, allowed: (u) => can(u, 'console.read') },
    { href: '/console/bundles', section: '/console/bundles', label: M.nav.bundles, allowed: (u) => can(u, 'sync.operate') },
    { href: '/console/admin', section: '/console/admin', label: M.nav.admin, allowed: (u) => can(u, 'admin') },
  ];
}

export function layout(ctx: PageContext, title: string, body: Html, nav: NavItem[], flash?: { kind: 'ok' | 'bad'; text: string }): string {
  const current = (n: NavItem): boolean => (n.section === '/' ? ctx.path === '/' || ctx.path === '/console' : ctx.path.startsWith(n.section));
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · ${M.app} · ${ctx.instanceName}</title>
<link rel="stylesheet" href="/console/assets/console.css?v=${ASSET_VERSION}">
<script src="/console/assets/htmx.min.js?v=${ASSET_VERSION}" defer></script>
<script src="/console/assets/console.js?v=${ASSET_VERSION}" defer></script>
<meta name="csrf-token" content="${ctx.csrf}">
</head><body>
<a class="skip" href="#main">${M.skip}</a>
<header>
<a class="brand" href="/">${M.app} · ${ctx.instanceName}</a>
${ctx.user
  ? html`<nav aria-label="${M.nav.label}"><ul>${nav
      .filter((n) => n.allowed(ctx.user!))
      .map((n) => html`<li><a href="${n.href}"${current(n) ? html` aria-current="page"` : ''}>${n.label}</a></li>`)}</ul></nav>
<form method="post" action="/console/logout"><input type="hidden" name="_csrf" value="${ctx.csrf}"><span>${M.auth.signedInAs(ctx.user.name, ctx.user.role)}</span><button type="submit">${M.auth.logout}</button></form>`
  : ''}
</header>
<main id="main" tabindex="-1">
<h1>${title}</h1>
${flash ? html`<p class="notice ${flash.kind}" role="status">${flash.text}</p>` : ''}
${body}
</main></body></html>`.text;
}
