import type { FieldValue } from '../registry/values.js';

/**
 * A version vector: for each instance (plain uuid, no urn prefix) the number of changes it made
 * to the record. It tells "newer", "older" and "concurrent" apart without trusting any clock.
 */
export type VersionVector = Record<string, number>;

/** One version of one record, as it travels between instances (sync pages, bundles, radio). */
export interface RecordVersion {
  resource: string;
  /** `urn:uuid:` + RFC 4122 uuid; never reused. */
  uuid: string;
  /** UTC, milliseconds, `Z`. */
  created_on: string;
  modified_on: string;
  deleted: boolean;
  /** For merges: the uuid of the record that replaced this one. */
  replaced_by: string | null;
  /** The instance that created the record (decides MASTER conflicts). */
  origin: string;
  /** The instance that made the last change. */
  changed_by: string;
  version: VersionVector;
  /** Hybrid logical clock of the last change: "<13-digit ms>.<6-digit counter>", sortable as text. */
  hlc: string;
  /** Every declared field of the resource (null when unset). */
  data: Record<string, FieldValue>;
}

/** A record as this instance holds it: the version plus its place in the local change feed. */
export interface StoredRecord extends RecordVersion {
  /** Local row id; never leaves the instance. */
  id: number;
  /** Local, monotonic change sequence: the position of the last change in this instance's feed. */
  seq: number;
}

export interface ChangesQuery {
  /** Only changes after this local sequence number (decoded from a cursor). */
  after?: number;
  /** Only changes whose modified_on is at or after / before this instant. */
  since?: string;
  until?: string;
  limit?: number;
  includeDeleted?: boolean;
}

export interface ChangesPage {
  records: StoredRecord[];
  /** The sequence of the last record returned (or `after` when nothing was returned). */
  last: number;
  /** true when more changes follow this page. */
  more: boolean;
}
