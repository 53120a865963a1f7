/**
 * One error type for everything a user can get wrong. `where` says what was wrong and where
 * (resource, field, element, line), so the CLI and the HTTP service can both point at it.
 */
export interface ErrorLocation {
  resource?: string;
  uuid?: string;
  field?: string;
  element?: string;
  line?: number;
  column?: number;
}

export type ErrorCode =
  | 'invalid'
  | 'not_found'
  | 'conflict'
  | 'forbidden'
  | 'unauthorized'
  | 'too_large'
  | 'unsupported'
  | 'malformed';

const STATUS: Record<ErrorCode, number> = {
  invalid: 422,
  not_found: 404,
  conflict: 409,
  forbidden: 403,
  unauthorized: 401,
  too_large: 413,
  unsupported: 415,
  malformed: 400,
};

export class TidemarkError extends Error {
  readonly code: ErrorCode;
  readonly where: ErrorLocation;
  /** Further problems found in the same input (an import reports them all, not just the first). */
  readonly problems: TidemarkError[];

  constructor(code: ErrorCode, message: string, where: ErrorLocation = {}, problems: TidemarkError[] = []) {
    super(message);
    this.name = 'TidemarkError';
    this.code = code;
    this.where = where;
    this.problems = problems;
  }

  get status(): number {
    return STATUS[this.code];
  }

  /** A one-line description naming the place: "line 12, <data field="beds">, med_bed_capacity.beds: ..." */
  describe(): string {
    const w = this.where;
    const parts: string[] = [];
    if (w.line !== undefined) parts.push(`line ${w.line}${w.column !== undefined ? `:${w.column}` : ''}`);
    if (w.element) parts.push(`<${w.element}>`);
    if (w.resource) parts.push(w.field ? `${w.resource}.${w.field}` : w.resource);
    else if (w.field) parts.push(`field ${w.field}`);
    if (w.uuid) parts.push(w.uuid);
    return parts.length ? `${parts.join(', ')}: ${this.message}` : this.message;
  }

  toJSON(): Record<string, unknown> {
    return {
      error: this.code,
      message: this.describe(),
      where: this.where,
      ...(this.problems.length ? { problems: this.problems.map((p) => ({ message: p.describe(), where: p.where })) } : {}),
    };
  }
}

export const invalid = (message: string, where: ErrorLocation = {}): TidemarkError =>
  new TidemarkError('invalid', message, where);
