/**
 * SSRF guard for webhook targets. A partner's URL is fetched by our server, so a URL pointing at our own network
 * (a metadata endpoint, a database, the admin port) must be refused. The check runs at registration (clear error
 * for the form) and again on every send, inside the socket's own DNS lookup, so a host that re-resolves to a
 * private address later (DNS rebinding) is caught on the very address we would connect to.
 */
import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/** Ranges that are never a partner's public server (IANA special-purpose registries, IPv4 and IPv6). */
const FORBIDDEN = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network", includes the unspecified 0.0.0.0
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata lives here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, includes broadcast
] as const) {
  FORBIDDEN.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b::', 96], // NAT64: reaches IPv4 space through a translator
  ['100::', 64], // discard-only
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique-local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still routable inside some networks)
  ['ff00::', 8], // multicast
] as const) {
  FORBIDDEN.addSubnet(net, prefix, 'ipv6');
}

/** True for an address a webhook must not reach. IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is checked as IPv4. */
export function isForbiddenAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 0) return true;
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
    if (mapped) return FORBIDDEN.check(mapped[1]!, 'ipv4');
    // BlockList matches hex-written mapped forms (::ffff:7f00:1) against IPv4 rules itself.
    return FORBIDDEN.check(bare, 'ipv6');
  }
  return FORBIDDEN.check(bare, 'ipv4');
}

export class TargetRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetRefused';
  }
}

type LookupAll = (host: string) => Promise<{ address: string; family: number }[]>;

const lookupAll: LookupAll = (host) =>
  new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );

/**
 * Resolves a URL's host and refuses it when any of its addresses is forbidden (one bad address is enough: the
 * client may pick any of them). Throws TargetRefused with a sentence for the person registering the URL.
 */
export async function assertPublicTarget(url: URL, resolveHost: LookupAll = lookupAll): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    if (isForbiddenAddress(host)) throw new TargetRefused(`the address ${host} is private, loopback, link-local or reserved`);
    return;
  }
  let addresses: { address: string }[];
  try {
    addresses = await resolveHost(host);
  } catch {
    throw new TargetRefused(`the host name ${host} does not resolve`);
  }
  if (addresses.length === 0) throw new TargetRefused(`the host name ${host} does not resolve`);
  const bad = addresses.find((a) => isForbiddenAddress(a.address));
  if (bad) throw new TargetRefused(`the host name ${host} resolves to ${bad.address}, a private, loopback, link-local or reserved address`);
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | { address: string; family: number }[], family?: number) => void;

/**
 * A `lookup` for http(s).request that refuses forbidden addresses: the guard sees exactly the address the socket
 * then connects to. Node calls it with `all: true` when the agent does "happy eyeballs", so both shapes are served.
 */
export function guardedLookup(hostname: string, options: { all?: boolean; family?: number } | number, callback: LookupCallback): void {
  const opts = typeof options === 'number' ? { family: options } : options;
  dnsLookup(hostname, { family: opts.family ?? 0, all: true, verbatim: true }, (error, addresses) => {
    if (error) return callback(error, '');
    const bad = addresses.find((a) => isForbiddenAddress(a.address));
    if (bad) {
      const refused = new TargetRefused(`${hostname} resolves to ${bad.address}, a private, loopback, link-local or reserved address`) as Error & {
        code?: string;
      };
      refused.code = 'ETARGETREFUSED';
      return callback(refused, '');
    }
    if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' }), '');
    if (opts.all) return callback(null, addresses);
    return callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}
