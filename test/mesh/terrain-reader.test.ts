// TerrainReader's elevation decodes: each request decodes only what it needs of a neighbour (its
// first column or row), and concurrent requests share the decodes of the tiles they have in common.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CogReader } from '../../src/cog/cog-reader.js';
import { loadConfig, type ServerConfig } from '../../src/config.js';
import { TerrainReader, type MeshRequest } from '../../src/mesh/terrain-reader.js';
import { createWorkerPool, type WorkerPool } from '../../src/server/worker-pool.js';
import { tileBoundsLonLat } from '../../src/tiling/web-mercator.js';
import { scratchDir } from '../helpers/app.js';
import { startRangeServer, type RangeServer } from '../helpers/http-range-server.js';
import { decodeTerrain, type Bounds } from '../helpers/mesh-check.js';
import { FUJI_TILES, writeFujiTiles } from '../helpers/terrain-tiles.js';

const dir = scratchDir();
writeFujiTiles(dir);
const { z, x0, y0 } = FUJI_TILES;
let server: RangeServer;
let pool: WorkerPool;
/** `x/y|part` of every tile the pool was asked to decode. */
let decodes: string[] = [];
/** Worker tasks asked for, by kind. */
let tasks: string[] = [];
const noteDecodes = (tiles: Array<{ key: string; part: string }> = []) =>
  decodes.push(...tiles.map((t) => `${t.key.split('/').slice(-2).join('/').replace('.png', '')}|${t.part}`));

beforeAll(async () => {
  server = await startRangeServer(dir);
  const real = await createWorkerPool(2);
  pool = {
    ...real,
    stats: real.stats,
    elevation: (task, signal) => {
      tasks.push('elevation');
      noteDecodes(task.tiles);
      return real.elevation(task, signal);
    },
    mesh: (task, signal) => {
      tasks.push('mesh');
      noteDecodes(task.tiles?.decode?.tiles);
      return real.mesh(task, signal);
    },
  };
});
afterAll(async () => { await pool?.close(); await server?.close(); });

function reader(config: Partial<ServerConfig> = {}): TerrainReader {
  const c = loadConfig({ sourceAllowlist: [server.url + '/'], allowPrivateAddresses: true, ...config });
  decodes = [];
  tasks = [];
  return new TerrainReader(c, pool, new CogReader(c, pool));
}

const request = (x: number, y: number): MeshRequest => ({
  source: { kind: 'png', template: `${server.url}/{z}/{x}/{y}.png`, encoding: 'terrarium' }, tile: { z, x, y }, scale: 1,
  maxError: 15.05, quantizer: 'martini', orientation: 'kepler', extensions: { octNormals: false, metadata: false },
});

describe('TerrainReader elevation decodes', () => {
  it('without an elevation cache, decodes the tile whole and only the edges of its neighbours', async () => {
    await reader({ elevationCacheBytes: 0, meshCacheBytes: 0 }).mesh(request(x0, y0));
    expect(decodes.sort()).toEqual([`${x0}/${y0}|full`, `${x0 + 1}/${y0}|column`, `${x0}/${y0 + 1}|row`, `${x0 + 1}/${y0 + 1}|row`].sort());
    expect(tasks).toEqual(['mesh']); // one worker round trip: the mesh task decodes the PNGs
  });

  it('shares the decodes of concurrent requests: each PNG decoded once for the 2 x 2 block, the same meshes as alone', async () => {
    const block = [[x0, y0], [x0 + 1, y0], [x0, y0 + 1], [x0 + 1, y0 + 1]] as const;
    const alone: Uint8Array[] = [];
    for (const [x, y] of block) alone.push(await reader().mesh(request(x, y)));
    const r = reader();
    const shared = await Promise.all(block.map(([x, y]) => r.mesh(request(x, y))));
    expect(decodes.length).toBe(new Set(decodes).size);
    for (const [x, y] of block) expect(decodes).toContain(`${x}/${y}|full`);
    // an east neighbour is decoded whole when cached (it is a tile of its own next): no column decodes
    expect(decodes.filter((d) => d.endsWith('|column'))).toEqual([]);
    for (let i = 0; i < block.length; i++) {
      expect(Buffer.from(shared[i]!).equals(Buffer.from(alone[i]!))).toBe(true);
      const [x, y] = block[i]!;
      const mesh = await decodeTerrain(Buffer.from(shared[i]!), tileBoundsLonLat({ z, x, y }) as Bounds, 'kepler');
      expect(mesh.positions.length).toBeGreaterThan(12);
    }
  });

  it('keeps shared work going while anyone waits for it: the first asker going away fails only its own request', async () => {
    const alone = await reader({ elevationCacheBytes: 0, meshCacheBytes: 0 }).mesh(request(x0 + 1, y0));
    const r = reader({ elevationCacheBytes: 0, meshCacheBytes: 0 });
    // the same mesh asked twice, and a neighbour joining the first one's decode of tile (x0 + 1, y0 + 1)
    const gone = new AbortController();
    const first = r.mesh({ ...request(x0, y0), signal: gone.signal });
    const same = r.mesh({ ...request(x0, y0), signal: new AbortController().signal });
    const neighbour = r.mesh({ ...request(x0 + 1, y0), signal: new AbortController().signal });
    gone.abort(new Error('client closed the connection'));
    await expect(first).rejects.toThrow('client closed the connection');
    const [a, b] = await Promise.all([same, neighbour]);
    expect(Buffer.from(a).equals(Buffer.from(await reader().mesh(request(x0, y0))))).toBe(true);
    expect(Buffer.from(b).equals(Buffer.from(alone))).toBe(true);
  });

  it('drops the work of a request nobody waits for any more, and starts afresh for the next', async () => {
    const r = reader({ elevationCacheBytes: 0, meshCacheBytes: 0 });
    const gone = new AbortController();
    const first = r.mesh({ ...request(x0, y0), signal: gone.signal });
    gone.abort(new Error('client closed the connection'));
    await expect(first).rejects.toThrow('client closed the connection');
    const again = await r.mesh({ ...request(x0, y0), signal: new AbortController().signal });
    expect(Buffer.from(again).equals(Buffer.from(await reader().mesh(request(x0, y0))))).toBe(true);
  });

  it('a request that joined a decode and went away before awaiting it fails alone (no unhandled rejection)', async () => {
    const r = reader({ elevationCacheBytes: 0, meshCacheBytes: 0 });
    const alone = await reader({ elevationCacheBytes: 0, meshCacheBytes: 0 }).mesh(request(x0, y0));
    const first = r.mesh({ ...request(x0, y0), signal: new AbortController().signal });
    // joins the first one's decode of (x0 + 1, y0 + 1) and leaves while fetching its own PNGs
    const gone = new AbortController();
    const joiner = r.mesh({ ...request(x0 + 1, y0), signal: gone.signal });
    gone.abort(new Error('client closed the connection'));
    await expect(joiner).rejects.toThrow('client closed the connection');
    expect(Buffer.from(await first).equals(Buffer.from(alone))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50)); // an unhandled rejection would surface here
  });
});
