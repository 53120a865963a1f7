import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ErrorSchema } from '../schemas.js';
import { SCHEMA_VERSION } from '../../store/index.js';

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness and identity of this instance',
        response: {
          200: Type.Object({ status: Type.String(), instance: Type.String(), name: Type.String(), schema_version: Type.Integer(), head: Type.Integer({ description: 'The last change sequence' }) }),
          '5xx': ErrorSchema,
        },
      },
    },
    async () => {
      const store = app.store;
      return { status: 'ok', instance: store.instance.uuid, name: store.instance.name, schema_version: SCHEMA_VERSION, head: await store.peekHead() };
    },
  );
}
