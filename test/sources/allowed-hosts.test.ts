// assertPublicHost keeps a host's "allowed" verdict briefly: a tile set's many urls on one host do not
// each wait for a DNS lookup. Refusals are never kept.
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { assertPublicHost } from '../../src/sources/private-address.js';

describe('assertPublicHost verdicts', () => {
  const lookup = vi.spyOn(dns, 'lookup');
  syncBuiltinESMExports(); // the module's `import { lookup } from 'node:dns'` sees the spy
  afterAll(() => {
    lookup.mockRestore();
    syncBuiltinESMExports();
  });

  it('resolves an allowed host once, a refused one every time', async () => {
    // localhost is loopback: allowed only where the rule lists its networks
    const allowed = { allowPrivateAddresses: false, allowedPrivateNetworks: ['127.0.0.0/8', '::1/128'] };
    lookup.mockClear();
    await assertPublicHost('localhost', 'a', allowed);
    await assertPublicHost('localhost', 'b', allowed);
    expect(lookup).toHaveBeenCalledTimes(1);

    const refused = { allowPrivateAddresses: false };
    lookup.mockClear();
    for (let i = 0; i < 2; i++) await expect(assertPublicHost('localhost', 'c', refused)).rejects.toMatchObject({ status: 403 });
    expect(lookup).toHaveBeenCalledTimes(2); // another rule: its own verdict, and refusals are not kept
  });
});
