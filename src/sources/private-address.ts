import { lookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { badGateway, forbidden, type HttpError } from '../server/errors.js';

/**
 * Addresses an http(s) source may not reach unless ALLOW_PRIVATE_ADDRESSES is set: a tile server
 * that fetches any URL must not become a proxy into its own network (SSRF).
 */
const privateRanges = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network", includes the unspecified address
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, includes cloud metadata endpoints
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  privateRanges.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
] as const) {
  privateRanges.addSubnet(net, prefix, 'ipv6');
}

/** True for loopback, private, link-local, CGNAT and unspecified addresses (IPv4-mapped IPv6 too). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  // BlockList also matches ::ffff:a.b.c.d against the IPv4 rules.
  return privateRanges.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export const privateAddressError = (what: string): HttpError =>
  forbidden(`${what} resolves to a private address (set ALLOW_PRIVATE_ADDRESSES=1 to allow it)`);

/** The URL hostname as dns.lookup wants it: IPv6 literals lose their brackets. */
const bareHost = (hostname: string) => hostname.replace(/^\[(.*)\]$/, '$1');

/** Resolves every address of the host and throws 403 if any of them is private. */
export async function assertPublicHost(hostname: string, what: string): Promise<void> {
  const host = bareHost(hostname);
  if (isIP(host)) {
    if (isPrivateAddress(host)) throw privateAddressError(what);
    return;
  }
  const addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
    lookup(host, { all: true }, (error, found) => (error ? reject(error) : resolve(found))),
  ).catch((error: NodeJS.ErrnoException) => {
    throw badGateway(`cannot resolve host ${host} (${error.code ?? error.message})`);
  });
  if (addresses.some((a) => isPrivateAddress(a.address))) throw privateAddressError(what);
}

/**
 * A dns lookup for http.request that refuses private addresses at connect time. Checking here,
 * on the addresses the socket then connects to, is what defeats DNS rebinding: a name that was
 * public when openSource checked it cannot turn private for the connection.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0);
    if (addresses.length === 0 || addresses.some((a) => isPrivateAddress(a.address))) {
      return callback(privateAddressError(`host ${hostname}`) as unknown as NodeJS.ErrnoException, '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};
