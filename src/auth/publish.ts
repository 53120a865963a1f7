import { TidemarkError } from '../errors.js';
import type { Store } from '../store/index.js';

/**
 * What the operator has published: served without credentials. `feed:edxl-have` opens
 * /feeds/edxl-have (and so on per format); `s3xml:med_hospital` opens that resource's S3XML
 * feed (and Eden pulls of it). Nothing is published unless an admin says so.
 */
const KEY = 'published';
const ITEM = /^(feed:[a-z0-9.-]+|s3xml:[a-z0-9_]+)$/;

export async function published(store: Store): Promise<string[]> {
  const row = (await store.knex('tm_settings').where({ key: KEY }).first()) as { value: string | null } | undefined;
  return row?.value ? (JSON.parse(row.value) as string[]) : [];
}

export async function isPublished(store: Store, item: string): Promise<boolean> {
  return (await published(store)).includes(item);
}

async function save(store: Store, items: string[]): Promise<string[]> {
  const value = JSON.stringify([...new Set(items)].sort());
  await store.knex('tm_settings').insert({ key: KEY, value }).onConflict('key').merge();
  return published(store);
}

export function checkItem(store: Store, item: string): string {
  if (!ITEM.test(item)) throw new TidemarkError('invalid', `"${item}" is not feed:FORMAT or s3xml:RESOURCE`, { field: 'item' });
  if (item.startsWith('s3xml:')) store.registry.get(item.slice(6));
  return item;
}

export async function publish(store: Store, items: string[]): Promise<string[]> {
  for (const i of items) checkItem(store, i);
  return save(store, [...(await published(store)), ...items]);
}

export async function unpublish(store: Store, items: string[]): Promise<string[]> {
  const drop = new Set(items);
  return save(store, (await published(store)).filter((i) => !drop.has(i)));
}
