// The load test's clients, run in their own process (forked by loadtest.ts): `clients` kepler.gl-like
// map users for `durationMs`. Each user views one layer at a time (picked by the kind weights of
// `mix`, then uniformly among that kind's layers) through a viewport of `viewport` tiles:
// - it requests the viewport's tiles that are inside the layer's extent and that it has not loaded
//   yet (deck.gl keeps loaded tiles), `inflight` at a time (kepler keeps up to 6 per server), over its
//   own keep-alive sockets (a browser's connections), with Accept-Encoding as a browser sends it;
// - on 503 it waits Retry-After (10 s, kepler's rasterServerRetryDelay, when absent; at most
//   `retryCapMs`) and retries once; on any other failure (network error, 204, 4xx, 5xx) it retries
//   once at once, as kepler does;
// - then it waits a think time and moves: pans 1-2 tiles (60%), zooms in or out (35%) or opens
//   another layer (5%).
// Every answer is counted by kind and status; 200 bodies are checked (npy, png or quantized-mesh).
import { Agent, request } from 'node:http';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { Kind, Layer, TileRange } from './loadtest-data.js';
import { rng } from '../kernels/fixtures.js';

export interface ClientOptions {
  base: string;
  layers: Layer[];
  clients: number;
  durationMs: number;
  /** Weight of each kind of layer. */
  mix: Record<Kind, number>;
  inflight: number;
  /** Viewport size in tiles (a 1280 x 800 map is about 5 x 4 256 px tiles). */
  viewport: [cols: number, rows: number];
  thinkMs: [min: number, max: number];
  retryCapMs: number;
  /** Per-request timeout (a hung request is an error, not a stuck client). */
  timeoutMs: number;
  seed: number;
}

export interface KindStats {
  /** Every answer, retries included. */
  requests: number;
  retries: number;
  /** Latency of every answer (request to last body byte), ms. */
  latenciesMs: number[];
  /** Time to each tile's final answer as the user waits for it (retries and Retry-After waits included), ms. */
  tileMs: number[];
  bytes: number;
  /** Answers by status; 0 = network error or timeout. */
  statuses: Record<string, number>;
  /** 200 answers whose body is not what the format says. */
  badBodies: number;
  /** 503 answers without a Retry-After header. */
  noRetryAfter: number;
}

export interface ClientResult {
  seconds: number;
  byKind: Record<Kind, KindStats>;
  /** Every answer but 200, grouped as `kind status detail`: count and one path. */
  nonOk: Record<string, { count: number; path: string }>;
  /** Viewports shown and moves made, summed over clients. */
  viewports: number;
  /** CPU time of this process over wall time (1 = one core). */
  clientCpu: number;
}

interface Answer {
  status: number;
  body: Buffer;
  retryAfter?: string;
}


const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function get(url: string, agent: Agent, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(url, { agent, headers: { 'accept-encoding': 'gzip, deflate, br' }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let body = Buffer.concat(chunks);
        const enc = res.headers['content-encoding'];
        try {
          body = enc === 'br' ? brotliDecompressSync(body) : enc === 'gzip' ? gunzipSync(body) : enc === 'deflate' ? inflateSync(body) : body;
        } catch (err) {
          body = Buffer.from(`undecodable ${enc} body: ${err}`);
        }
        resolve({ status: res.statusCode ?? 0, body, retryAfter: res.headers['retry-after'] });
      });
      res.on('error', (err) => resolve({ status: 0, body: Buffer.from(String(err)) }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ status: 0, body: Buffer.from(String(err)) }));
    req.end();
  });
}

const NPY_MAGIC = Buffer.from('\x93NUMPY', 'latin1');
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
const bodyOk = (kind: Layer['body'], b: Buffer) =>
  kind === 'npy' ? b.subarray(0, 6).equals(NPY_MAGIC) : kind === 'png' ? b.subarray(0, 4).equals(PNG_MAGIC) : b.length >= 88;

function detailOf(body: Buffer): string {
  try {
    return String((JSON.parse(body.toString('utf8')) as { detail?: unknown }).detail ?? body.subarray(0, 120).toString());
  } catch {
    return body.subarray(0, 120).toString();
  }
}

/** Retry-After in ms (delta-seconds or an HTTP date); kepler's 10 s when absent or unreadable. */
function retryAfterMs(value: string | undefined): number {
  if (value === undefined) return 10_000;
  const s = Number(value);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const t = Date.parse(value);
  return Number.isFinite(t) ? Math.max(0, t - Date.now()) : 10_000;
}

/** The tiles of a viewport centred on (cx, cy) (tile units) inside `extent`, centre first, as deck.gl orders them. */
function viewportTiles([cols, rows]: [number, number], cx: number, cy: number, [x0, y0, x1, y1]: TileRange): Array<[number, number]> {
  const tiles: Array<[number, number]> = [];
  for (let y = Math.floor(cy - rows / 2); y <= Math.floor(cy + rows / 2 - 1e-9); y++) {
    for (let x = Math.floor(cx - cols / 2); x <= Math.floor(cx + cols / 2 - 1e-9); x++) {
      if (x >= x0 && x <= x1 && y >= y0 && y <= y1) tiles.push([x, y]);
    }
  }
  return tiles.sort((a, b) => Math.hypot(a[0] + 0.5 - cx, a[1] + 0.5 - cy) - Math.hypot(b[0] + 0.5 - cx, b[1] + 0.5 - cy));
}

const emptyStats = (): KindStats => ({ requests: 0, retries: 0, latenciesMs: [], tileMs: [], bytes: 0, statuses: {}, badBodies: 0, noRetryAfter: 0 });

export async function runClients(o: ClientOptions): Promise<ClientResult> {
  const byKind = { cog: emptyStats(), mosaic: emptyStats(), mesh: emptyStats() } satisfies Record<Kind, KindStats>;
  const nonOk: ClientResult['nonOk'] = {};
  let viewports = 0;
  const t0 = performance.now();
  const end = t0 + o.durationMs;
  const cpu0 = process.cpuUsage();
  const kinds = (Object.keys(o.mix) as Kind[]).filter((k) => o.mix[k] > 0 && o.layers.some((l) => l.kind === k));
  if (kinds.length === 0) throw new Error('--mix leaves no layer to request');
  const totalWeight = kinds.reduce((a, k) => a + o.mix[k], 0);

  /** One tile as kepler fetches it: one retry, after Retry-After on 503. */
  const fetchTile = async (layer: Layer, path: string, agent: Agent) => {
    const stats = byKind[layer.kind];
    const t0 = performance.now();
    for (let attempt = 0; attempt < 2; attempt++) {
      const start = performance.now();
      const res = await get(o.base + path, agent, o.timeoutMs);
      stats.latenciesMs.push(performance.now() - start);
      stats.requests++;
      if (attempt > 0) stats.retries++;
      stats.bytes += res.body.length;
      stats.statuses[res.status] = (stats.statuses[res.status] ?? 0) + 1;
      if (res.status === 200) {
        if (!bodyOk(layer.body, res.body)) stats.badBodies++;
        break;
      }
      (nonOk[`${layer.kind} ${res.status} ${res.status === 204 ? '(no content)' : detailOf(res.body)}`] ??= { count: 0, path }).count++;
      if (res.status === 503 && res.retryAfter === undefined) stats.noRetryAfter++;
      if (attempt > 0) break;
      if (res.status === 503) {
        const wait = Math.min(retryAfterMs(res.retryAfter), o.retryCapMs);
        if (performance.now() + wait >= end) return; // the run is over before the retry would go
        await sleep(wait);
      }
      if (performance.now() >= end) return;
    }
    stats.tileMs.push(performance.now() - t0);
  };

  const user = async (rand: () => number) => {
    const agent = new Agent({ keepAlive: true, maxSockets: o.inflight });
    const pickLayer = () => {
      let r = rand() * totalWeight;
      const kind = kinds.find((k) => (r -= o.mix[k]) < 0) ?? kinds[kinds.length - 1]!;
      const of = o.layers.filter((l) => l.kind === kind);
      return of[Math.floor(rand() * of.length)]!;
    };
    let layer = pickLayer();
    const zooms = () => Object.keys(layer.extents).map(Number).sort((a, b) => a - b);
    // start at a random zoom, centred on a random tile of the layer
    let z = zooms()[Math.floor(rand() * zooms().length)]!;
    const centre = () => {
      const [x0, y0, x1, y1] = layer.extents[z]!;
      return [x0 + rand() * (x1 - x0 + 1), y0 + rand() * (y1 - y0 + 1)];
    };
    let [cx, cy] = centre() as [number, number];
    let loaded = new Set<string>();
    try {
      while (performance.now() < end) {
        viewports++;
        const tiles = viewportTiles(o.viewport, cx, cy, layer.extents[z]!)
          .map(([x, y]) => layer.template.replace('{z}', String(z)).replace('{x}', String(x)).replace('{y}', String(y)))
          .filter((p) => !loaded.has(p));
        let next = 0;
        await Promise.all(Array.from({ length: o.inflight }, async () => {
          while (next < tiles.length && performance.now() < end) {
            const path = tiles[next++]!;
            loaded.add(path);
            await fetchTile(layer, path, agent);
          }
        }));
        await sleep(o.thinkMs[0] + rand() * (o.thinkMs[1] - o.thinkMs[0]));
        // move
        const r = rand();
        const zs = zooms();
        const other = r < 0.05 ? pickLayer() : layer;
        if (other !== layer) {
          layer = other;
          loaded = new Set();
          z = zooms()[Math.floor(rand() * zooms().length)]!;
          [cx, cy] = centre() as [number, number];
        } else if (r < 0.4 && zs.length > 1) {
          const nz = Math.min(zs[zs.length - 1]!, Math.max(zs[0]!, z + (rand() < 0.5 ? 1 : -1)));
          cx *= 2 ** (nz - z);
          cy *= 2 ** (nz - z);
          z = nz;
        } else {
          cx += Math.round((rand() * 2 - 1) * 2);
          cy += Math.round((rand() * 2 - 1) * 2);
        }
        // keep the view centre over the data
        const [x0, y0, x1, y1] = layer.extents[z]!;
        cx = Math.min(x1 + 1, Math.max(x0, cx));
        cy = Math.min(y1 + 1, Math.max(y0, cy));
      }
    } finally {
      agent.destroy();
    }
  };

  await Promise.all(Array.from({ length: o.clients }, (_, i) => user(rng(o.seed * 1000 + i))));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { seconds, byKind, nonOk, viewports, clientCpu: (cpu.user + cpu.system) / 1e6 / seconds };
}

// Forked child: one ClientOptions message in, one ClientResult message out.
if (process.send && process.argv[1] === import.meta.filename) {
  process.once('message', async (o: ClientOptions) => {
    process.send!(await runClients(o), () => process.exit(0));
  });
}
