import AjvCompiler from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';
import { Type } from 'typebox';
import { CATALOGUE } from '../errors.js';

/**
 * How the routes' schemas are used. Each route declares its params, query string, JSON body and
 * answers once, in the route (TypeBox, src/sync/protocol.ts for the sync messages); fastify
 * validates requests with them and @fastify/swagger documents them in /openapi.json.
 *
 * - Query strings and params arrive as text: ajv turns "50" into 50 where the schema says integer.
 *   Bodies are JSON and are taken as sent: `"protocol": "1"` is refused, not quietly made a number.
 * - Answer schemas document; they do not filter. Answers are written with JSON.stringify, so the
 *   wire carries exactly what the code sends (a field the schema does not name is not dropped).
 */
const validators = AjvCompiler();
type Options = Parameters<typeof validators>[1];
const buildValidator: NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']> = (external, options) => {
  // allowUnionTypes: a filter value is a string, number, boolean or null.
  const converting = validators(external, { ...options, customOptions: { ...options?.customOptions, allowUnionTypes: true } } as Options);
  const exact = validators(external, { ...options, customOptions: { ...options?.customOptions, allowUnionTypes: true, coerceTypes: false } } as Options);
  return (route) => (route.httpPart === 'body' ? exact : converting)(route);
};
const buildSerializer = () => () => (data: unknown) => JSON.stringify(data);

export const schemaController: FastifyServerOptions['schemaController'] = { compilersFactory: { buildValidator, buildSerializer } };

const Where = Type.Object(
  {
    resource: Type.Optional(Type.String()),
    uuid: Type.Optional(Type.String()),
    field: Type.Optional(Type.String({ description: 'e.g. body/records/0/hlc, querystring/limit' })),
    element: Type.Optional(Type.String()),
    line: Type.Optional(Type.Integer()),
    column: Type.Optional(Type.Integer()),
  },
  { description: 'What was wrong and where' },
);
const Code = Type.String({ enum: Object.keys(CATALOGUE), description: 'A code of the catalogue (src/errors.ts); clients match on it, never on the message' });

/** Every refusal of the service (TidemarkError.toJSON, src/errors.ts). */
export const ErrorSchema = Type.Object(
  {
    error: Code,
    message: Type.String(),
    where: Where,
    problems: Type.Optional(Type.Array(Type.Object({ error: Code, message: Type.String(), where: Where }), { description: 'Further problems in the same input' })),
  },
  { description: 'A coded error' },
);

/** Refusals on Sahana Eden's endpoints, in the shape Eden's client logs (edenShaped, src/server/errors.ts). */
export const EdenErrorSchema = Type.Object(
  { status: Type.Literal('failed'), statuscode: Type.String(), message: Type.String(), error: Type.Optional(Code) },
  { description: "Eden's JSON status message; `error` keeps the catalogue code" },
);

/** The error answers every API route documents. */
export const errors = { '4xx': ErrorSchema, '5xx': ErrorSchema } as const;
export const edenErrors = { '4xx': EdenErrorSchema, '5xx': EdenErrorSchema } as const;
