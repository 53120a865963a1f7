import { Bonjour, type Browser, type Service } from 'bonjour-service';
import { logger } from '../../log.js';
import { decodeTxt, encodeTxt, SERVICE_TYPE, type Advertisement } from './txt.js';

const log = logger.child({ component: 'discovery' });

export interface DiscoveryOptions {
  /** This instance, as advertised. */
  self: Advertisement;
  /** false: only listen (a service bound to 127.0.0.1 cannot be reached from the LAN). */
  advertise?: boolean;
  /**
   * IPv4 address of the one interface to use for multicast (TIDEMARK_DISCOVERY_INTERFACE).
   * Default: every interface with an IPv4 address.
   */
  interfaceAddress?: string;
  /** How often to ask the network again and drop expired entries (ms). */
  refreshMs?: number;
  /** Called each time an instance (not this one) is heard, with the address it answered from. */
  onCandidate?: (ad: Advertisement, address: string) => void;
}

export interface Heard {
  ad: Advertisement;
  address: string;
  lastSeen: number;
}

/**
 * DNS-SD over mDNS: advertises `_tidemark._tcp` and browses for the others. What it hears is
 * only a candidate; the sync service never talks to one that has not been paired.
 */
export class Discovery {
  private bonjour: Bonjour | undefined;
  private browser: Browser | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly heard = new Map<string, Heard>();

  constructor(private readonly opts: DiscoveryOptions) {}

  start(): void {
    const iface = this.opts.interfaceAddress;
    // multicast-dns binds to the interface address when given one, and a socket bound to a
    // unicast address never receives multicast: bind the wildcard and pick the interface.
    this.bonjour = new Bonjour(iface ? ({ interface: iface, bind: '0.0.0.0' } as object) : {}, (err: Error) =>
      log.warn({ err: err.message }, 'mDNS error'),
    );
    const self = this.opts.self;
    if (this.opts.advertise !== false) {
      const service = this.bonjour.publish({
        // Instance uuid in the name and host: two instances on one machine (or two machines with
        // the same hostname) never collide and get renamed.
        name: `${self.name} (${self.uuid.slice(0, 8)})`,
        type: SERVICE_TYPE,
        protocol: 'tcp',
        port: self.port,
        host: `tidemark-${self.uuid.slice(0, 8)}.local`,
        txt: encodeTxt(self),
        disableIPv6: true,
      });
      service.on('error', (err: Error) => log.warn({ err: err.message }, 'cannot advertise'));
      log.info({ type: `_${SERVICE_TYPE}._tcp`, port: self.port, interface: iface ?? 'all' }, 'advertising');
    }
    this.browser = this.bonjour.find({ type: SERVICE_TYPE, protocol: 'tcp' });
    const onService = (s: Service): void => this.record(s);
    this.browser.on('up', onService);
    this.browser.on('txt-update', onService);
    this.browser.on('srv-update', onService);
    // Ask again periodically: answers sent before we listened are otherwise missed
    // (bonjour-service#9), and expire() drops instances whose records timed out.
    const every = this.opts.refreshMs ?? 10_000;
    this.timer = setInterval(() => {
      this.browser?.expire();
      this.browser?.update();
    }, every);
    this.timer.unref();
  }

  private record(s: Service): void {
    let ad: Advertisement;
    try {
      ad = decodeTxt(s.txt, s.port);
    } catch (e) {
      log.debug({ name: s.name, err: (e as Error).message }, 'ignoring a _tidemark._tcp answer');
      return;
    }
    if (ad.uuid === this.opts.self.uuid) return;
    const ipv4 = (a: string | undefined): a is string => !!a && /^\d+\.\d+\.\d+\.\d+$/.test(a);
    const advertised = (s.addresses ?? []).filter(ipv4);
    const from = s.referer?.address;
    // The address the answer came from is reachable by definition; advertised ones may not be.
    const address = ipv4(from) && (advertised.includes(from) || !advertised.length) ? from : (advertised[0] ?? from);
    if (!address) return;
    const isNew = !this.heard.has(ad.uuid);
    this.heard.set(ad.uuid, { ad, address, lastSeen: Date.now() });
    if (isNew) log.info({ uuid: ad.uuid, name: ad.name, address, port: ad.port }, 'found a Tidemark instance (candidate, not paired)');
    this.opts.onCandidate?.(ad, address);
  }

  /** Everything heard since start. */
  candidates(): Heard[] {
    return [...this.heard.values()];
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.browser?.stop();
    const b = this.bonjour;
    this.bonjour = undefined;
    if (!b) return;
    // Say goodbye so the others drop us at once instead of after the TTL.
    await new Promise<void>((resolve) => b.unpublishAll(() => resolve()));
    await new Promise<void>((resolve) => b.destroy(() => resolve()));
  }
}

/** Listens for `ms` milliseconds and returns what was heard (for `tidemark discover`). */
export async function browseFor(ms: number, opts: Omit<DiscoveryOptions, 'advertise'>): Promise<Heard[]> {
  const d = new Discovery({ ...opts, advertise: false });
  d.start();
  await new Promise((r) => setTimeout(r, ms));
  const found = d.candidates();
  await d.stop();
  return found;
}
