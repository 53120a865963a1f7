import type { Command } from '../command.js';
import { serveCommand } from './serve.js';
import { samplesCommand } from './samples.js';

/** `npm start`: a newcomer's first run — database, samples, service, URLs. */
export const demoCommand: Command = {
  name: 'demo',
  usage: 'tidemark demo [--db URL] [--host 127.0.0.1] [--port 8080]',
  options: serveCommand.options,
  async run(ctx) {
    await samplesCommand.run(ctx);
    return serveCommand.run(ctx);
  },
};
