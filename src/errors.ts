/**
 * The catalogue of coded errors: every failure a user, a client or a peer can see has a code
 * here, with its message template, HTTP status and CLI exit code. The CLI, the HTTP service
 * (fastify's own errors included) and the carriers all speak these codes; code that reacts to an
 * error matches on `code`, never on the message text.
 *
 * `where` says what was wrong and where (resource, field, element, line), so the CLI and the HTTP
 * service can both point at it.
 */
export interface ErrorLocation {
  resource?: string;
  uuid?: string;
  field?: string;
  element?: string;
  line?: number;
  column?: number;
}

/** Exit codes follow sysexits.h where one fits: 1 for refused input, 75 for "try again later". */
const EXIT_REFUSED = 1;
const EXIT_USAGE = 2;
const EXIT_UNAVAILABLE = 69;
const EXIT_INTERNAL = 70;
const EXIT_TEMPFAIL = 75;

export interface CatalogueEntry {
  /** HTTP status the service answers with. */
  status: number;
  /** Exit code of the CLI. */
  exit: number;
  /** Message template; `{name}` is filled from the values given to `coded()`. */
  template: string;
}

export const CATALOGUE = {
  // Input that is wrong in itself.
  malformed: { status: 400, exit: EXIT_REFUSED, template: 'not well-formed: {detail}' },
  invalid: { status: 422, exit: EXIT_REFUSED, template: 'invalid: {detail}' },
  // A file that ends early: damaged, or still being copied (a watcher tries again later).
  truncated: { status: 400, exit: EXIT_REFUSED, template: 'truncated: {detail}' },
  usage: { status: 400, exit: EXIT_USAGE, template: '{detail}' },
  too_large: { status: 413, exit: EXIT_REFUSED, template: 'too large: {detail}' },
  unsupported: { status: 415, exit: EXIT_REFUSED, template: 'unsupported: {detail}' },
  not_found: { status: 404, exit: EXIT_REFUSED, template: '{what} not found' },
  method_not_allowed: { status: 405, exit: EXIT_REFUSED, template: '{method} is not allowed on {url}' },
  // Who may do what.
  unauthorized: { status: 401, exit: EXIT_REFUSED, template: 'not authenticated: {detail}' },
  forbidden: { status: 403, exit: EXIT_REFUSED, template: 'not allowed: {detail}' },
  // State that does not allow the request (409): each meaning has its own code.
  conflict: { status: 409, exit: EXIT_REFUSED, template: '{detail}' },
  cursor_moved: { status: 409, exit: EXIT_TEMPFAIL, template: 'the cursor of {resource} moved meanwhile (another sync with this peer?)' },
  handshake_needed: { status: 409, exit: EXIT_TEMPFAIL, template: 'page of {resource} starts after {from}, but this instance holds {held}: handshake again' },
  duplicate_uuid: { status: 409, exit: EXIT_REFUSED, template: 'a record with this uuid exists already' },
  reset_needed: { status: 409, exit: EXIT_TEMPFAIL, template: 'radio payload {detail}: a reset is needed' },
  already_signed: { status: 409, exit: EXIT_REFUSED, template: 'the document is already signed' },
  already_reversed: { status: 409, exit: EXIT_REFUSED, template: 'conflict #{id} was reversed on {on}' },
  ambiguous: { status: 409, exit: EXIT_REFUSED, template: '"{name}" matches {count} {what}; give more of it' },
  // The other side or the link.
  refused: { status: 502, exit: EXIT_UNAVAILABLE, template: 'the peer refused: {detail}' },
  certificate_mismatch: { status: 502, exit: EXIT_UNAVAILABLE, template: '{url} presented a certificate with SHA-256 fingerprint {got}, not the pinned {pinned}' },
  link_down: { status: 504, exit: EXIT_TEMPFAIL, template: '{detail}: the link is down' },
  interrupted: { status: 503, exit: EXIT_TEMPFAIL, template: '{detail} was interrupted' },
  address_in_use: { status: 503, exit: EXIT_UNAVAILABLE, template: '{address} is in use by another program: choose another --port (or stop the other program)' },
  address_not_allowed: { status: 503, exit: EXIT_UNAVAILABLE, template: 'may not listen on {address}: {detail}' },
  timeout: { status: 504, exit: EXIT_TEMPFAIL, template: '{detail} did not finish in time' },
  busy: { status: 503, exit: EXIT_TEMPFAIL, template: 'the database is busy; try again' },
  // Ours.
  internal: { status: 500, exit: EXIT_INTERNAL, template: 'internal error' },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof CATALOGUE;

export const isErrorCode = (s: unknown): s is ErrorCode => typeof s === 'string' && Object.hasOwn(CATALOGUE, s);

/** Fills a template: `{name}` takes vars.name, or where.name, or stays as written. */
export function fill(template: string, vars: Record<string, unknown> = {}): string {
  return template.replace(/\{(\w+)\}/g, (all, name: string) => (vars[name] === undefined ? all : String(vars[name])));
}

const MAX_MESSAGE = 1000;

export class TidemarkError extends Error {
  readonly code: ErrorCode;
  readonly where: ErrorLocation;
  /** Further problems found in the same input (an import reports them all, not just the first). */
  readonly problems: TidemarkError[];

  constructor(code: ErrorCode, message: string, where: ErrorLocation = {}, problems: TidemarkError[] = []) {
    // Bounded: a message may quote the input, and an attacker chooses the input.
    super(message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}... (${message.length - MAX_MESSAGE} more characters)` : message);
    this.name = 'TidemarkError';
    this.code = code;
    this.where = where;
    this.problems = problems;
  }

  get status(): number {
    return CATALOGUE[this.code].status;
  }

  get exit(): number {
    return CATALOGUE[this.code].exit;
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
      ...(this.problems.length ? { problems: this.problems.map((p) => ({ error: p.code, message: p.describe(), where: p.where })) } : {}),
    };
  }
}

/** An error from the catalogue's template: `coded('cursor_moved', { resource })`. */
export function coded(code: ErrorCode, vars: Record<string, unknown> = {}, where: ErrorLocation = {}): TidemarkError {
  return new TidemarkError(code, fill(CATALOGUE[code].template, { ...where, ...vars }), where);
}

export const invalid = (message: string, where: ErrorLocation = {}): TidemarkError =>
  new TidemarkError('invalid', message, where);

/** Whether `err` is a Tidemark error with one of `codes`. */
export const hasCode = (err: unknown, ...codes: ErrorCode[]): err is TidemarkError =>
  err instanceof TidemarkError && codes.includes(err.code);
