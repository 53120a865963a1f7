import type { Store } from './store/index.js';
import { startServer, type ListenOptions, type RunningServer } from './server/listen.js';
import { startHttpDaemon } from './transports/http/index.js';
import { startDiscoveryIfEnabled } from './transports/discovery/service.js';

/**
 * The one place that assembles the running service: the HTTP server, the sync daemon beside it
 * (TIDEMARK_DAEMON=0 turns it off) and mDNS discovery (TIDEMARK_DISCOVERY=off). Stopping closes
 * them in reverse order. The server itself knows nothing of the daemon or discovery, so neither
 * server/ nor transports/ imports the other's start-up.
 */
export async function startService(store: Store, opts: ListenOptions = {}): Promise<RunningServer> {
  const server = await startServer(store, opts);
  const stops: (() => Promise<void>)[] = [];
  try {
    const daemon = startHttpDaemon(store);
    if (daemon) stops.push(() => daemon.stop());
    const discovery = await startDiscoveryIfEnabled(store, server.app.server.address());
    if (discovery) stops.push(discovery);
  } catch (e) {
    for (const stop of stops.reverse()) await stop();
    await server.close();
    throw e;
  }
  return {
    ...server,
    async close() {
      for (const stop of stops.reverse()) await stop();
      await server.close();
    },
  };
}
