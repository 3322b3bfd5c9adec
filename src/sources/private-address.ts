import { lookup, type LookupAddress } from 'node:dns';
import { LRUCache } from 'lru-cache';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { badGateway, forbidden, type HttpError } from '../server/errors.js';

/**
 * Addresses an http(s) source may not reach unless ALLOW_PRIVATE_ADDRESSES allows them: a tile
 * server that fetches any URL must not become a proxy into its own network (SSRF).
 */
const privateRanges = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network", includes the unspecified address
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, includes cloud metadata endpoints
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments (192.0.0.192 is Oracle Cloud's metadata)
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking networks
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, includes the broadcast address
] as const) {
  privateRanges.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 96], // unspecified, loopback and the deprecated IPv4-compatible ::a.b.c.d
  ['fc00::', 7], // unique local (AWS's IPv6 metadata endpoint fd00:ec2::254 is one)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still routed by some stacks)
  ['ff00::', 8], // multicast
] as const) {
  privateRanges.addSubnet(net, prefix, 'ipv6');
}

/**
 * The IPv4 address an IPv6 address carries and that a gateway would connect to: NAT64
 * (64:ff9b::a.b.c.d) and 6to4 (2002:AABB:CCDD::). IPv4-mapped ::ffff:a.b.c.d is handled by BlockList.
 */
function embeddedIpv4(address: string): string | undefined {
  const groups = expandIpv6(address);
  if (!groups) return undefined;
  const quad = (high: number, low: number) => [high >> 8, high & 255, low >> 8, low & 255].join('.');
  if (groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0)) return quad(groups[6]!, groups[7]!);
  if (groups[0] === 0x2002) return quad(groups[1]!, groups[2]!);
  return undefined;
}

/** The eight 16-bit groups of an IPv6 address (a trailing dotted quad included). */
function expandIpv6(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

/** True for loopback, private, link-local, CGNAT, multicast, reserved and unspecified addresses (IPv4 inside IPv6 too). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  // BlockList also matches ::ffff:a.b.c.d against the IPv4 rules.
  if (privateRanges.check(address, family === 4 ? 'ipv4' : 'ipv6')) return true;
  const inner = family === 6 ? embeddedIpv4(address) : undefined;
  return inner !== undefined && privateRanges.check(inner, 'ipv4');
}

/**
 * What a config lets sources reach: every address (`allowPrivateAddresses`), or public addresses
 * plus the listed private addresses and networks (`allowedPrivateNetworks`, e.g. an internal
 * MinIO at 10.0.3.7 or `10.0.3.0/24`) while loopback and metadata addresses stay refused.
 */
export interface AddressRule {
  allowPrivateAddresses: boolean;
  allowedPrivateNetworks?: string[];
}

const exceptionLists = new Map<string, BlockList>();

/** The BlockList of `a.b.c.d`, `a.b.c.d/n`, `v6` and `v6/n` entries; throws on a malformed one. */
export function privateNetworkList(entries: string[]): BlockList {
  const key = entries.join(',');
  let list = exceptionLists.get(key);
  if (list) return list;
  list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/') as [string, string | undefined];
    const family = isIP(address);
    const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
    if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128) || (prefix !== undefined && !/^\d+$/.test(prefix))) {
      throw new Error(`invalid address or network in ALLOW_PRIVATE_ADDRESSES: ${JSON.stringify(entry)}`);
    }
    list.addSubnet(address, bits, family === 4 ? 'ipv4' : 'ipv6');
  }
  exceptionLists.set(key, list);
  return list;
}

/** True when the rule forbids connecting to this address. */
export function isRefusedAddress(address: string, rule: AddressRule): boolean {
  if (rule.allowPrivateAddresses || !isPrivateAddress(address)) return false;
  const allowed = rule.allowedPrivateNetworks ?? [];
  if (allowed.length === 0) return true;
  return !privateNetworkList(allowed).check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
}

export const privateAddressError = (what: string): HttpError =>
  forbidden(`${what} resolves to a private address (set ALLOW_PRIVATE_ADDRESSES to allow it)`);

/** The URL hostname as dns.lookup wants it: IPv6 literals lose their brackets. */
const bareHost = (hostname: string) => hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Hosts found allowed lately (by rule and name). Every tile of a tile set is a new url on the same
 * host: without this, each would wait for a DNS lookup before its first byte. A verdict is kept
 * briefly, and only to answer early: publicOnlyLookup still checks every new connection.
 */
const allowedHosts = new LRUCache<string, true>({ max: 1024, ttl: 30_000 });

/** Resolves every address of the host and throws 403 if the rule refuses any of them. */
export async function assertPublicHost(hostname: string, what: string, rule: AddressRule): Promise<void> {
  if (rule.allowPrivateAddresses) return;
  const host = bareHost(hostname);
  if (isIP(host)) {
    if (isRefusedAddress(host, rule)) throw privateAddressError(what);
    return;
  }
  const key = `${(rule.allowedPrivateNetworks ?? []).join(',')}|${host}`;
  if (allowedHosts.get(key)) return;
  const addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
    lookup(host, { all: true }, (error, found) => (error ? reject(error) : resolve(found))),
  ).catch((error: NodeJS.ErrnoException) => {
    throw badGateway(`cannot resolve host ${host} (${error.code ?? error.message})`);
  });
  if (addresses.some((a) => isRefusedAddress(a.address, rule))) throw privateAddressError(what);
  allowedHosts.set(key, true);
}

/**
 * A dns lookup for http.request that refuses the rule's forbidden addresses at connect time
 * (undefined when everything is allowed). Checking here, on the addresses the socket then connects
 * to, is what defeats DNS rebinding: a name that was public when openSource checked it cannot turn
 * private for the connection.
 */
export function publicOnlyLookup(rule: AddressRule): LookupFunction | undefined {
  if (rule.allowPrivateAddresses) return undefined;
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      if (addresses.length === 0 || addresses.some((a) => isRefusedAddress(a.address, rule))) {
        return callback(privateAddressError(`host ${hostname}`) as unknown as NodeJS.ErrnoException, '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
