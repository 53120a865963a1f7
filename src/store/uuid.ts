/**
 * The record identities Tidemark accepts from outside: `urn:uuid:` + an RFC 4122 uuid (what
 * Tidemark and Eden make), or Eden's non-URN uid, bare or qualified by the domain of the site
 * that made it (`eden.example.org/ORG-8`). Anything else (`../../etc`, spaces, control
 * characters, 64+ characters) is refused: identities end up in URLs, file names and logs.
 */
const URN = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const EDEN_UID = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*/)?[a-z0-9][a-z0-9._:-]*$`, 'i');

export function isRecordUuid(uuid: unknown): uuid is string {
  if (typeof uuid !== 'string' || !uuid || uuid.length > 64) return false;
  if (uuid.startsWith('urn:')) return URN.test(uuid);
  return EDEN_UID.test(uuid) && !uuid.includes('..');
}

export const RECORD_UUID_RULE = 'urn:uuid: and an RFC 4122 uuid, or an Eden uid (optionally domain/uid), at most 64 characters';
