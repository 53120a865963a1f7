/**
 * The record identities Tidemark accepts from outside: `urn:uuid:` + an RFC 4122 uuid (what
 * Tidemark and Eden make), and the other forms Sahana Eden's own data carries: a uuid URN with a
 * suffix for a record derived from another (`urn:uuid:...-status`), another URN namespace (CAP
 * alerts as `urn:oid:2.49.0.1...`), or Eden's non-URN uid, bare or qualified by the domain of the
 * site that made it (`eden.example.org/ORG-8`). Anything else (`../../etc`, `urn:uuid:` with no
 * uuid, spaces, control characters, 64+ characters) is refused: identities end up in URLs, file
 * names and logs.
 */
const HEX_UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const URN_UUID = new RegExp(`^urn:uuid:${HEX_UUID}(?:-[a-z0-9][a-z0-9_-]*)?$`, 'i');
const OTHER_URN = /^urn:(?!uuid:)[a-z0-9][a-z0-9-]{0,31}:[a-z0-9][a-z0-9._:-]*$/i;
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const EDEN_UID = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*/)?[a-z0-9][a-z0-9._:-]*$`, 'i');

export function isRecordUuid(uuid: unknown): uuid is string {
  if (typeof uuid !== 'string' || !uuid || uuid.length > 64 || uuid.includes('..')) return false;
  if (/^urn:/i.test(uuid)) return URN_UUID.test(uuid) || OTHER_URN.test(uuid);
  return EDEN_UID.test(uuid);
}

export const RECORD_UUID_RULE = 'urn:uuid: and an RFC 4122 uuid (Eden\'s derived urn:uuid:UUID-suffix and other URNs too), or an Eden uid (optionally domain/uid), at most 64 characters';
