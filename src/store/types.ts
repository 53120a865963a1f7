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
  /**
   * Per-field versions: for each field (and `$deleted` for deleted/replaced_by) the change that
   * last set it, as [instance, that instance's counter in `version`]. A field not listed was last
   * set when the record was created ([origin, 1]). Absent altogether (versions from before
   * per-field versions, or from S3XML): every field counts as set by the last change.
   */
  fields?: Record<string, Dot>;
  /** Conflict decisions that made this version, travelling with it so every instance logs them. */
  decisions?: MergeDecision[];
}

/** One change: the instance that made it and its counter in the record's version vector. */
export type Dot = [instance: string, counter: number];

/** The pseudo-field that stands for deleted + replaced_by in per-field versions. */
export const DELETED_FIELD = '$deleted';

/** The change that last set `field` of `v` (see RecordVersion.fields). */
export function dotOf(v: RecordVersion, field: string): Dot {
  if (!v.fields) return [v.changed_by, v.version[v.changed_by] ?? 0];
  return v.fields[field] ?? [v.origin, 1];
}

/** A conflict decision as it travels: the same on every instance that meets the conflict. */
export interface MergeDecision {
  /** Derived from the two versions: the same id wherever the conflict is decided. */
  id: string;
  /** policy, resolver, delete-wins, update-after-delete, reversal... */
  rule: string;
  /** The instance whose change was kept and the one whose change was overwritten, with their local times. */
  kept: { site: string; at: string };
  lost: { site: string; at: string };
  /** Per field in conflict: [kept value, lost value]. */
  fields: Record<string, [FieldValue, FieldValue]>;
  /** A reversal names the decision it reverses. */
  reverses?: string;
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
