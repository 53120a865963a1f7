import type { ResourceDef } from '../registry/types.js';
import type { FieldValue } from '../registry/values.js';
import { html, type Html } from './html.js';
import { M } from './messages.js';

/** An instant as people read it: UTC, to the second (the same on every site). */
export function when(iso: string | null | undefined): string {
  if (!iso) return M.common.never;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** A machine-readable <time> around a readable instant. */
export function timeEl(iso: string | null | undefined): Html {
  return iso ? html`<time datetime="${iso}">${when(iso)}</time>` : html`<span class="muted">${M.common.never}</span>`;
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** A short name for a record in links and lists. */
export function recordLabel(def: ResourceDef, data: Record<string, FieldValue>, uuid: string): string {
  for (const k of ['name', 'headline', 'identifier', 'code', 'unit_name', 'resource_desc', 'event']) {
    const v = data[k];
    if (typeof v === 'string' && v.trim()) return v;
  }
  return `${def.title} ${uuid.replace(/^urn:uuid:/, '').slice(0, 8)}`;
}

/** A value as text for tables. */
export function showValue(v: FieldValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? M.common.yes : M.common.no;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A database URL without its password. */
export function safeDbUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

export function resultBadge(result: string | null | undefined): Html {
  if (!result) return html`<span class="muted">${M.common.never}</span>`;
  const cls = result === 'success' ? 'ok' : result === 'warning' ? 'warn' : 'bad';
  return html`<span class="badge ${cls}">${result}</span>`;
}
