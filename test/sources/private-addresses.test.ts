import type { LookupAddress } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DEMO_DATA_DIR } from '../../src/paths.js';
import { HttpError } from '../../src/server/errors.js';
import { HttpSource } from '../../src/sources/http-source.js';
import { openSource } from '../../src/sources/open-source.js';
import { isPrivateAddress, publicOnlyLookup } from '../../src/sources/private-address.js';
import { startRangeServer, type RangeServer } from '../helpers/http-range-server.js';

const NAME = 'cogeotiff-rgba8_cog.tiff';

describe('private address rules', () => {
  it.each([
    '127.0.0.1', '127.255.0.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254',
    '100.64.0.1', '100.127.255.254', '0.0.0.0', '::1', '::', 'fc00::1', 'fd12:3456::1', 'fe80::1',
    '::ffff:127.0.0.1', '::ffff:a9fe:a9fe',
  ])('%s is private', (address) => expect(isPrivateAddress(address)).toBe(true));

  it.each(['8.8.8.8', '172.32.0.1', '100.128.0.1', '192.169.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])(
    '%s is public',
    (address) => expect(isPrivateAddress(address)).toBe(false),
  );

  it('the connect-time lookup refuses a name that resolves to loopback, in both callback forms', async () => {
    for (const all of [false, true]) {
      const error = await new Promise<unknown>((resolve) =>
        publicOnlyLookup({ allowPrivateAddresses: false })!('localhost', { all } as never, (e: unknown) => resolve(e)),
      );
      expect(error).toMatchObject({ status: 403, detail: expect.stringContaining('private address') });
    }
  });
});

describe('private addresses and redirects over HTTP', () => {
  let server: RangeServer;
  beforeAll(async () => {
    server = await startRangeServer(DEMO_DATA_DIR, {
      onRequest: (req, res) => {
        const hop = /^\/hop\/(\d+)$/.exec(req.url!);
        if (hop) res.writeHead(302, { location: Number(hop[1]) > 0 ? `/hop/${Number(hop[1]) - 1}` : `/${NAME}` }).end();
        else if (req.url === '/to-secret') res.writeHead(301, { location: '/secret/x.tif' }).end();
        else if (req.url === '/to-other-scheme') res.writeHead(307, { location: 'file:///etc/passwd' }).end();
        else return false;
        return true;
      },
    });
  });
  afterAll(() => server.close());

  it('refuses loopback sources with 403 unless allowPrivateAddresses', async () => {
    const url = `${server.url}/${NAME}`;
    const refusing = loadConfig({ sourceAllowlist: ['http://'], allowPrivateAddresses: false }, {});
    const error = await openSource(url, refusing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 403, detail: expect.stringContaining('resolves to a private address') });
    const port = new URL(server.url).port;
    for (const other of [`http://localhost:${port}/${NAME}`, `http://[::1]:${port}/${NAME}`, `http://0x7f000001:${port}/${NAME}`]) {
      expect(await openSource(other, refusing).catch((e: HttpError) => e.status), other).toBe(403);
    }
    const allowing = loadConfig({ sourceAllowlist: ['http://'], allowPrivateAddresses: true }, {});
    expect((await (await openSource(url, allowing)).read({ offset: 0, length: 4 })).length).toBe(4);
  });

  it('re-checks the address when connecting (a source made without openSource cannot reach loopback)', async () => {
    const config = loadConfig({ sourceAllowlist: ['http://'], allowPrivateAddresses: false }, {});
    const source = new HttpSource(new URL(`http://localhost:${new URL(server.url).port}/${NAME}`), config);
    const before = server.requests.length;
    await expect(source.read({ offset: 0, length: 4 })).rejects.toMatchObject({ status: 403 });
    expect(server.requests.length).toBe(before); // refused before connecting
  });

  it('follows up to 3 redirects and refuses a 4th with 502', async () => {
    const config = loadConfig({ sourceAllowlist: [server.url + '/'], allowPrivateAddresses: true }, {});
    const three = await openSource(`${server.url}/hop/2`, config); // 3 redirects: hop/2 -> 1 -> 0 -> file
    expect((await three.read({ offset: 0, length: 4 })).length).toBe(4);
    const four = await openSource(`${server.url}/hop/3`, config);
    await expect(four.read({ offset: 0, length: 4 })).rejects.toMatchObject({ status: 502, detail: expect.stringContaining('too many redirects') });
  });

  it('refuses redirects to targets outside the allowlist or to other schemes', async () => {
    const config = loadConfig({ sourceAllowlist: [`${server.url}/to-secret`, `${server.url}/to-other-scheme`, `${server.url}/hop/`], allowPrivateAddresses: true }, {});
    const before = server.requests.length;
    const secret = await openSource(`${server.url}/to-secret`, config);
    await expect(secret.read({ offset: 0, length: 4 })).rejects.toMatchObject({
      status: 403,
      detail: expect.stringMatching(/redirect .* to .*\/secret\/x\.tif is not in SOURCE_ALLOWLIST/),
    });
    expect(server.requests.slice(before).map((r) => r.path)).toEqual(['/to-secret']); // never fetched
    const scheme = await openSource(`${server.url}/to-other-scheme`, config);
    await expect(scheme.read({ offset: 0, length: 4 })).rejects.toMatchObject({ status: 403 });
    // hop/0 redirects to the file, which this allowlist does not contain
    await expect((await openSource(`${server.url}/hop/0`, config)).size()).rejects.toMatchObject({ status: 403 });
  });
});
