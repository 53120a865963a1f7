import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TidemarkError } from '../../errors.js';
import { nowIso } from '../../registry/values.js';
import type { Store } from '../../store/index.js';

/**
 * Signing keys for bundles (Ed25519). The pairing token already authenticates a bundle between
 * two paired instances; a signature adds proof that a particular key holder wrote it, which a
 * receiver can demand by registering the sender's public key.
 */
export interface SigningKey {
  id: string;
  key: KeyObject;
}

const SETTING = 'bundle_signing_key';

/** A short, stable name for a public key: the first 16 bytes of the SHA-256 of its DER form. */
export function keyId(pub: KeyObject): string {
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 32);
}

function ed25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw new TidemarkError('unsupported', `${what} is a ${key.asymmetricKeyType ?? 'symmetric'} key; bundles are signed with Ed25519`);
  return key;
}

/** The configured signing key: TIDEMARK_BUNDLE_KEY (a PEM file), else the one stored by `bundle key --generate`. */
export async function signingKey(store: Store, env: NodeJS.ProcessEnv = process.env): Promise<SigningKey | undefined> {
  let pem: string | undefined;
  if (env.TIDEMARK_BUNDLE_KEY) pem = readFileSync(env.TIDEMARK_BUNDLE_KEY, 'utf8');
  else pem = ((await store.knex('tm_settings').where({ key: SETTING }).first()) as { value: string } | undefined)?.value;
  if (!pem) return undefined;
  const key = ed25519(createPrivateKey(pem), 'the bundle signing key');
  return { id: keyId(createPublicKey(key)), key };
}

/** Makes and stores this instance's signing key; returns the public key to hand to peers. */
export async function generateSigningKey(store: Store, opts: { replace?: boolean } = {}): Promise<{ id: string; publicPem: string }> {
  const existing = await store.knex('tm_settings').where({ key: SETTING }).first();
  if (existing && !opts.replace) {
    const pub = createPublicKey(createPrivateKey((existing as { value: string }).value));
    return { id: keyId(pub), publicPem: pub.export({ type: 'spki', format: 'pem' }).toString() };
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  await store.knex('tm_settings')
    .insert({ key: SETTING, value: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() })
    .onConflict('key')
    .merge();
  return { id: keyId(publicKey), publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** From now on, bundles from `peer` must be signed by this key. */
export async function trustKey(store: Store, peer: string, publicPem: string): Promise<string> {
  let pub: KeyObject;
  try {
    pub = ed25519(createPublicKey(publicPem), 'the key');
  } catch (e) {
    if (e instanceof TidemarkError) throw e;
    throw new TidemarkError('invalid', `not a public key in PEM form: ${(e as Error).message}`);
  }
  const id = keyId(pub);
  const row = { peer, key_id: id, public_key: pub.export({ type: 'spki', format: 'pem' }).toString(), added_on: nowIso() };
  await store.knex('tm_bundle_key').insert(row).onConflict('peer').merge();
  return id;
}

export async function trustedKey(store: Store, peer: string): Promise<SigningKey | undefined> {
  const row = (await store.knex('tm_bundle_key').where({ peer }).first()) as { key_id: string; public_key: string } | undefined;
  return row ? { id: row.key_id, key: createPublicKey(row.public_key) } : undefined;
}
