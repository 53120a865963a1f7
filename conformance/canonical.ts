import type { Element } from 'libxmljs2';
import { parseXml } from '../src/interchange/xml.js';

/**
 * A canonical form for comparing documents: expanded names ({namespace}local), attributes sorted,
 * whitespace-only text dropped and other text trimmed, prefixes and namespace declarations
 * ignored. Two documents that differ only in serialization compare equal.
 */
export interface CanonicalOptions {
  /** Local names whose text is a date-time: compared as instants, so zones may differ. */
  instants?: readonly string[];
  /** Local names whose text is ignored (values that differ per run, e.g. identifiers made fresh). */
  ignore?: readonly string[];
}

function text(el: Element, opts: CanonicalOptions): string {
  const raw = el.text().replace(/\s+/g, ' ').trim();
  if (opts.ignore?.includes(el.name())) return '*';
  if (opts.instants?.includes(el.name())) {
    const t = Date.parse(raw);
    return Number.isNaN(t) ? raw : new Date(t).toISOString();
  }
  return raw;
}

function canon(el: Element, opts: CanonicalOptions, depth: number): string[] {
  const ns = el.namespace()?.href() ?? '';
  const attrs = el
    .attrs()
    .map((a) => `${a.namespace()?.href() ? `{${a.namespace()!.href()}}` : ''}${a.name()}="${opts.ignore?.includes(`@${a.name()}`) ? '*' : a.value()}"`)
    .sort();
  const kids = el.childNodes().filter((n) => n.type() === 'element') as Element[];
  const pad = '  '.repeat(depth);
  const head = `${pad}{${ns}}${el.name()}${attrs.length ? ` ${attrs.join(' ')}` : ''}`;
  if (!kids.length) return [`${head} = ${text(el, opts)}`];
  return [head, ...kids.flatMap((k) => canon(k, opts, depth + 1))];
}

export function canonical(xml: string, opts: CanonicalOptions = {}): string {
  return canon(parseXml(xml).root()!, opts, 0).join('\n');
}
