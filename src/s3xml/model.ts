import type { ErrorLocation } from '../errors.js';
import type { VersionVector } from '../store/types.js';

/**
 * What the S3XML and S3JSON readers produce and the importer consumes: one `<resource>` element
 * (or S3JSON object) with its values still raw, its references unresolved and its components
 * nested. Both syntaxes meet here so the import pipeline exists once.
 */
export interface S3Reference {
  field: string;
  resource?: string;
  uuid?: string;
  tuid?: string;
  /** The element text (Eden's representation of the record referred to, e.g. a type's name). */
  text?: string;
  /** An inline `<reference><resource .../></reference>`: a record in its own right. */
  inline?: S3Item;
  /** Source line (S3XML); error locations are built from it only when needed. */
  line?: number;
}

export interface S3Data {
  field: string;
  /** The `value` attribute (JSON-encoded raw value, datetimes unquoted), when present. */
  value?: string;
  /** S3JSON gives the raw value already decoded. */
  decoded?: unknown;
  hasDecoded?: boolean;
  /** Element text: the representation, or the value itself for plain string fields. */
  text: string;
  line?: number;
}

/** Tidemark's version metadata, carried as extra attributes that Eden ignores. */
export interface S3VersionMeta {
  origin: string;
  changed_by: string;
  version: VersionVector;
  hlc: string;
}

export interface S3Item {
  resource: string;
  alias?: string;
  uuid?: string;
  tuid?: string;
  created_on?: string;
  modified_on?: string;
  deleted: boolean;
  replaced_by?: string;
  meta?: S3VersionMeta;
  data: S3Data[];
  references: S3Reference[];
  components: S3Item[];
  where: ErrorLocation;
}

export const newItem = (resource: string, where: ErrorLocation): S3Item => ({
  resource,
  deleted: false,
  data: [],
  references: [],
  components: [],
  where,
});

/** Attribute names of Tidemark's version metadata (no namespace, so Eden's parser just skips them). */
export const TM_ATTRS = {
  origin: 'tm_origin',
  changed_by: 'tm_changed_by',
  version: 'tm_version',
  hlc: 'tm_hlc',
} as const;

/** Limits on untrusted documents. */
export interface DocumentLimits {
  /** Largest accepted document in bytes. */
  maxBytes: number;
  /** Deepest element (or JSON object/array) nesting. */
  maxDepth: number;
}

export const DEFAULT_DOCUMENT_LIMITS: DocumentLimits = {
  maxBytes: Number(process.env.TIDEMARK_IMPORT_MAX_BYTES ?? 2 * 1024 * 1024 * 1024),
  maxDepth: 32,
};
