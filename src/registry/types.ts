/** The shape of a resource declaration: one place says what syncs and how it is built. */

export type FieldType =
  | 'string'
  | 'text'
  | 'integer'
  | 'double'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'json'
  | 'reference';

export interface FieldDef {
  readonly name: string;
  readonly type: FieldType;
  readonly required?: boolean;
  /** For `reference` fields: the resource referred to (stored as that record's uuid). */
  readonly resource?: string;
  /** Allowed values for coded string fields. */
  readonly options?: readonly string[];
  /**
   * Integer option codes with their labels, as Eden declares them (`IS_IN_SET(opts)` with an
   * options represent): the stored value is the code, S3XML writes the label as element text.
   */
  readonly codes?: Readonly<Record<number, string>>;
  /** Maximum length for `string` fields (default 255). */
  readonly length?: number;
  readonly label?: string;
}

/** A component is a child table joined to a master, as Eden's med_hospital -> med_bed_capacity. */
export interface ComponentLink {
  readonly master: string;
  /** The field of the component that holds the master's uuid. */
  readonly joinField: string;
  /** The alias Eden uses in S3XML (`alias` attribute) when it differs from the name. */
  readonly alias: string;
  /** false: at most one live row per master (e.g. the hospital's current status). */
  readonly multiple: boolean;
}

export interface ResourceDef {
  readonly name: string;
  readonly title: string;
  readonly fields: readonly FieldDef[];
  readonly component?: ComponentLink;
  /** Rows ship with the code under fixed uuids and are identical on every instance. */
  readonly referenceData?: boolean;
  /** Lower numbers travel first on slow links (alerts and hospital status before bulk data). */
  readonly priority: number;
}
