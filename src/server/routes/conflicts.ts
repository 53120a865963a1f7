import type { FastifyInstance } from 'fastify';
import { TidemarkError } from '../../errors.js';
import { describeConflict, diffConflict, getConflict, listConflicts, resolveConflict, reverseConflict, type ConflictEntry, type Side } from '../../sync/conflicts.js';

/**
 * Conflicts over JSON: the same functions as `tidemark conflicts` and the console's conflict
 * pages (list, show field by field, resolve by a side or field by field, reverse).
 */
const tags = ['conflicts'];
const idParam = { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] } as const;
const side = { type: 'string', enum: ['local', 'remote'] } as const;

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
      },
    },
    async (req) => {
      const q = req.query as { resource?: string; peer?: string; since?: string; until?: string; all?: boolean; limit: number; offset: number };
      if (q.resource && !store.registry.has(q.resource)) throw new TidemarkError('invalid', `unknown resource "${q.resource}"`, { field: 'resource' });
      return { conflicts: (await listConflicts(store, q)).map(summary) };
    },
  );
  app.get('/conflicts/:id', { schema: { tags, summary: 'One decision: both versions field by field, with site names and times', params: idParam } }, async (req) => {
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
