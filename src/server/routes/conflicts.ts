import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { TidemarkError } from '../../errors.js';
import { errors } from '../schemas.js';
import { describeConflict, diffConflict, getConflict, listConflicts, resolveConflict, reverseConflict, type ConflictEntry, type Side } from '../../sync/conflicts.js';

/**
 * Conflicts over JSON: the same functions as `tidemark conflicts` and the console's conflict
 * pages (list, show field by field, resolve by a side or field by field, reverse).
 */
const tags = ['conflicts'];
const idParam = { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] } as const;
const side = { type: 'string', enum: ['local', 'remote'] } as const;

const Summary = {
  id: Type.Integer(),
  resource: Type.String(),
  uuid: Type.String(),
  peer: Type.String({ description: 'Instance uuid of the peer the conflicting version came from' }),
  policy: Type.String(),
  rule: Type.String({ description: 'The rule that decided (policy, resolver, deletion rule, by hand)' }),
  winner: Type.String({ enum: ['local', 'remote', 'merged'] }),
  decided_on: Type.String(),
  reversed_on: Type.Union([Type.String(), Type.Null()]),
  fields: Type.Array(Type.String(), { description: 'The fields the decision was about' }),
};
const Side = { site: Type.String({ description: 'Site name' }), at: Type.String({ description: 'Local time of the change' }) };
const Changed = Type.Object(
  { id: Type.Integer(), record: Type.Object({ resource: Type.String(), uuid: Type.String(), version: Type.Object({}, { additionalProperties: Type.Integer() }), deleted: Type.Boolean(), data: Type.Object({}, { additionalProperties: true }) }) },
  { additionalProperties: true, description: 'The record as the decision left it (the new change that travels)' },
);

const summary = (c: ConflictEntry) => ({
  id: c.id,
  resource: c.resource,
  uuid: c.uuid,
  peer: c.peer,
  policy: c.policy,
  rule: c.rule,
  winner: c.winner,
  decided_on: c.decided_on,
  reversed_on: c.reversed_on,
  fields: Object.keys(c.decision.fields),
});

export async function conflictRoutes(app: FastifyInstance): Promise<void> {
  const store = app.store;
  app.get(
    '/conflicts',
    {
      schema: {
        tags,
        summary: 'Decisions on conflicting changes, newest first (open ones unless all=true)',
        querystring: {
          type: 'object',
          properties: {
            resource: { type: 'string', maxLength: 64 },
            peer: { type: 'string', maxLength: 36, description: 'Instance uuid of the peer the conflicting version came from' },
            since: { type: 'string', format: 'date-time' },
            until: { type: 'string', format: 'date-time' },
            all: { type: 'boolean', description: 'Reversed decisions too' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            offset: { type: 'integer', minimum: 0, default: 0 },
          },
          additionalProperties: false,
        },
        response: { 200: Type.Object({ conflicts: Type.Array(Type.Object(Summary)) }), ...errors },
      },
    },
    async (req) => {
      const q = req.query as { resource?: string; peer?: string; since?: string; until?: string; all?: boolean; limit: number; offset: number };
      if (q.resource && !store.registry.has(q.resource)) throw new TidemarkError('invalid', `unknown resource "${q.resource}"`, { field: 'resource' });
      return { conflicts: (await listConflicts(store, q)).map(summary) };
    },
  );
  const Shown = Type.Object({
    ...Summary,
    kept: Type.Object(Side),
    lost: Type.Object(Side),
    diff: Type.Array(Type.Object({ field: Type.String(), local: Type.Unknown(), remote: Type.Unknown(), result: Type.Unknown(), differs: Type.Boolean() })),
  });
  app.get('/conflicts/:id', { schema: { tags, summary: 'One decision: both versions field by field, with site names and times', params: idParam, response: { 200: Shown, ...errors } } }, async (req) => {
    const id = (req.params as { id: number }).id;
    const c = await getConflict(store, id);
    const view = await describeConflict(store, id);
    return { ...summary(c), kept: view.kept, lost: view.lost, diff: diffConflict(store, c) };
  });
  app.post(
    '/conflicts/:id/resolve',
    {
      schema: {
        tags,
        summary: 'Decide by hand: take one side whole, or each field from a side; a new decision that travels',
        params: idParam,
        body: {
          type: 'object',
          properties: { take: side, fields: { type: 'object', additionalProperties: side, minProperties: 1 } },
          additionalProperties: false,
          oneOf: [{ required: ['take'] }, { required: ['fields'] }],
        },
        response: { 200: Changed, ...errors },
      },
    },
    async (req) => {
      const id = (req.params as { id: number }).id;
      const b = req.body as { take?: Side; fields?: Record<string, Side> };
      const { record, entry } = await resolveConflict(store, id, b.take ? { take: b.take } : { fields: b.fields! });
      return { id, entry, record: { resource: record.resource, uuid: record.uuid, version: record.version, deleted: record.deleted, data: record.data } };
    },
  );
  app.post(
    '/conflicts/:id/reverse',
    {
      schema: {
        tags,
        summary: 'Reverse a decision: the lost values (or one side\'s) come back as a new change; itself reversible',
        params: idParam,
        body: { type: ['object', 'null'], properties: { take: side }, additionalProperties: false },
        response: { 200: Changed, ...errors },
      },
    },
    async (req) => {
      const id = (req.params as { id: number }).id;
      const take = (req.body as { take?: Side } | null | undefined)?.take;
      const record = await reverseConflict(store, id, take);
      return { id, record: { resource: record.resource, uuid: record.uuid, version: record.version, deleted: record.deleted, data: record.data } };
    },
  );
}
