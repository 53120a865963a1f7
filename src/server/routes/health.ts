import type { FastifyInstance } from 'fastify';
import { SCHEMA_VERSION } from '../../store/index.js';

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness and identity of this instance',
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string' },
              instance: { type: 'string' },
              name: { type: 'string' },
              schema_version: { type: 'integer' },
              head: { type: 'integer' },
            },
          },
        },
      },
    },
    async () => {
      const store = app.store;
      return { status: 'ok', instance: store.instance.uuid, name: store.instance.name, schema_version: SCHEMA_VERSION, head: await store.peekHead() };
    },
  );
}
