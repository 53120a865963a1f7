import type { AddressInfo } from 'node:net';
import { logger } from '../../log.js';
import { registryHash, SCHEMA_VERSION, type Store } from '../../store/index.js';
import { saveCandidate } from './candidates.js';
import { Discovery } from './discovery.js';
import type { Advertisement } from './txt.js';
import { localClusters } from './pairing.js';

const log = logger.child({ component: 'discovery' });

/** Discovery settings from the environment (documented in docs/operations.md). */
export function discoverySettings(env: NodeJS.ProcessEnv = process.env): { enabled: boolean; interfaceAddress?: string } {
  const flag = (env.TIDEMARK_DISCOVERY ?? 'on').toLowerCase();
  const iface = env.TIDEMARK_DISCOVERY_INTERFACE?.trim();
  return { enabled: !['0', 'off', 'false', 'no'].includes(flag), ...(iface ? { interfaceAddress: iface } : {}) };
}

export async function advertisementOf(store: Store, port: number): Promise<Advertisement> {
  return {
    uuid: store.instance.uuid,
    name: store.instance.name,
    clusters: await localClusters(store),
    schemaVersion: SCHEMA_VERSION,
    registryHash: registryHash(store.registry),
    port,
  };
}

const isLoopback = (a: string): boolean => a.startsWith('127.') || a === '::1' || a === 'localhost';

/**
 * Runs discovery inside `tidemark serve`: advertise, browse, remember candidates in the
 * database so `tidemark discover` can list them. Returns the stop function.
 */
export async function startDiscoveryService(store: Store, listening: AddressInfo): Promise<() => Promise<void>> {
  const settings = discoverySettings();
  // A service on 127.0.0.1 cannot be reached from the LAN, so it neither advertises nor browses
  // (and a test or a laptop running `serve` on loopback sends nothing on the real network),
  // unless discovery itself is pinned to loopback (several instances on one host).
  const pinnedToLoopback = settings.interfaceAddress !== undefined && isLoopback(settings.interfaceAddress);
  if (isLoopback(listening.address) && !pinnedToLoopback) {
    log.info('discovery idle: the service listens on loopback only (serve --host ADDRESS to be found on the LAN)');
    return async () => {};
  }
  const discovery = new Discovery({
    self: await advertisementOf(store, listening.port),
    // Bound to one address: advertise on that interface only, where the service answers.
    interfaceAddress: settings.interfaceAddress ?? (/^\d+\.\d+\.\d+\.\d+$/.test(listening.address) && listening.address !== '0.0.0.0' ? listening.address : undefined),
    onCandidate: (ad, address) => {
      saveCandidate(store.knex, ad, address).catch((err: Error) => log.warn({ err: err.message }, 'cannot record a candidate'));
    },
  });
  discovery.start();
  return () => discovery.stop();
}

/** Discovery beside `tidemark serve` (off with TIDEMARK_DISCOVERY=off); undefined when off. */
export async function startDiscoveryIfEnabled(store: Store, listening: AddressInfo | string | null): Promise<(() => Promise<void>) | undefined> {
  if (!discoverySettings().enabled) {
    log.info('discovery off (TIDEMARK_DISCOVERY)');
    return undefined;
  }
  if (!listening || typeof listening === 'string') return undefined;
  return startDiscoveryService(store, listening);
}
