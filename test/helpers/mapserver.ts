/**
 * A real WMS for tests: Debian's MapServer 8 (`mapserv` CGI) behind a tiny HTTP-to-CGI bridge on 127.0.0.1, with a
 * mapfile over rasters made by GDAL at test time from test/fixtures/cog. The bridge counts GetMap requests and can
 * tamper with answers (to test validation).
 */
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { onPath } from './gdal.js';
import { describeWithSystemTool } from './system-tool.js';

const execFileP = promisify(execFile);
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'cog');

export const HAS_MAPSERVER = onPath('mapserv') && onPath('gdalwarp') && onPath('gdal_translate');

/** `describe` for suites that need MapServer and GDAL: skipped without them, failing when REQUIRE_SYSTEM_TESTS=1. */
export function describeWithMapServer(name: string, fn: () => void, options: { timeout?: number } = {}): void {
  const missingMessage = 'mapserv/GDAL missing but REQUIRE_SYSTEM_TESTS=1: apt-get install cgi-mapserver mapserver-bin gdal-bin';
  describeWithSystemTool({ name: 'MapServer', available: HAS_MAPSERVER, missingMessage }, name, fn, { timeout: 60_000, ...options });
}

export interface CgiAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface WmsFixture {
  /** GetMap endpoint with the mapfile in `map=`, e.g. http://127.0.0.1:1234/mapserv?map=/tmp/x/test.map */
  url: string;
  /** Requests seen, by REQUEST parameter (upper case): getMaps() counts GetMap. */
  requests: URLSearchParams[];
  getMaps(): number;
  /** Rewrites answers before they are sent (undefined: as MapServer answered). */
  tamper?: (answer: CgiAnswer, query: URLSearchParams) => CgiAnswer;
  /** Layers in the mapfile: `rgb` (the RGB fixture, lon 0..2.56, lat -2.56..0), `noise` (random pixels). */
  dir: string;
  close(): Promise<void>;
}

/** Bounds [minLon, minLat, maxLon, maxLat] of the `noise` layer (z14 resolution, 1024 px a side). */
export const NOISE_ORIGIN = { x: 111319.49079327357, y: -111325.14286638486 };
export const NOISE_RES = 9.554628535647032; // z14
export const NOISE_SIZE = 1024;

/** Makes the rasters (GDAL), the mapfile and the MapServer 8 config file in a temporary folder. */
async function makeData(dir: string) {
  const rgb = join(dir, 'rgb3857.tif');
  await execFileP('gdalwarp', ['-q', '-t_srs', 'EPSG:3857', '-r', 'near', '-dstalpha', '-co', 'TILED=YES',
    join(FIXTURES, 'riotiler-cog_uint8_rgb_mask_4326.tif'), rgb]);
  // random RGB pixels (incompressible tiles, larger than 64 KiB as PNG) through a raw VRT made into a GeoTIFF
  const n = NOISE_SIZE;
  const raw = Buffer.alloc(n * n * 3);
  let seed = 12345;
  for (let i = 0; i < raw.length; i++) { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; raw[i] = seed >>> 24; }
  writeFileSync(join(dir, 'noise.raw'), raw);
  const band = (b: number) => `<VRTRasterBand dataType="Byte" band="${b}" subClass="VRTRawRasterBand"><SourceFilename relativetoVRT="1">noise.raw</SourceFilename><ImageOffset>${b - 1}</ImageOffset><PixelOffset>3</PixelOffset><LineOffset>${3 * n}</LineOffset></VRTRasterBand>`;
  await writeFile(join(dir, 'noise.vrt'), `<VRTDataset rasterXSize="${n}" rasterYSize="${n}"><SRS>EPSG:3857</SRS>` +
    `<GeoTransform>${NOISE_ORIGIN.x}, ${NOISE_RES}, 0, ${NOISE_ORIGIN.y}, 0, ${-NOISE_RES}</GeoTransform>${band(1)}${band(2)}${band(3)}</VRTDataset>`);
  await execFileP('gdal_translate', ['-q', '-of', 'GTiff', '-co', 'TILED=YES', join(dir, 'noise.vrt'), join(dir, 'noise.tif')]);
  const layer = (name: string, file: string) => `  LAYER
    NAME "${name}"
    TYPE RASTER
    STATUS ON
    DATA "${file}"
    PROJECTION "init=epsg:3857" END
    PROCESSING "RESAMPLE=NEAREST"
    METADATA "wms_title" "${name}" "wms_srs" "EPSG:3857" END
  END`;
  const mapfile = join(dir, 'test.map');
  await writeFile(mapfile, `MAP
  NAME "test"
  EXTENT -20037508.342789244 -20037508.342789244 20037508.342789244 20037508.342789244
  SIZE 256 256
  MAXSIZE 4096
  UNITS METERS
  PROJECTION "init=epsg:3857" END
  IMAGETYPE "pngrgba"
  OUTPUTFORMAT
    NAME "pngrgba"
    DRIVER "AGG/PNG"
    MIMETYPE "image/png"
    IMAGEMODE RGBA
    EXTENSION "png"
    TRANSPARENT ON
  END
  OUTPUTFORMAT
    NAME "jpeg"
    DRIVER "AGG/JPEG"
    MIMETYPE "image/jpeg"
    IMAGEMODE RGB
    EXTENSION "jpg"
    FORMATOPTION "QUALITY=90"
  END
  WEB
    METADATA
      "wms_title" "test"
      "wms_onlineresource" "http://127.0.0.1/mapserv?"
      "wms_srs" "EPSG:3857 EPSG:4326"
      "wms_enable_request" "*"
      "wms_getmap_formatlist" "image/png,image/jpeg"
    END
  END
${layer('rgb', rgb)}
${layer('noise', join(dir, 'noise.tif'))}
END
`);
  const config = join(dir, 'mapserver.conf');
  await writeFile(config, `CONFIG
  ENV
    MS_MAP_PATTERN "^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/"
  END
END
`);
  return { mapfile, config };
}

/** Runs mapserv once as a CGI with the query string; parses the CGI headers. */
function runCgi(query: string, config: string): Promise<CgiAnswer> {
  return new Promise((resolve, reject) => {
    const child = spawn('mapserv', [], {
      env: { PATH: process.env.PATH, MAPSERVER_CONFIG_FILE: config, QUERY_STRING: query, REQUEST_METHOD: 'GET',
        SERVER_NAME: '127.0.0.1', SERVER_PORT: '80', SCRIPT_NAME: '/mapserv', GATEWAY_INTERFACE: 'CGI/1.1', SERVER_PROTOCOL: 'HTTP/1.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', () => {
      const all = Buffer.concat(out);
      let sep = all.indexOf('\r\n\r\n');
      let sepLen = 4;
      if (sep < 0) { sep = all.indexOf('\n\n'); sepLen = 2; }
      if (sep < 0) return resolve({ status: 500, headers: { 'content-type': 'text/plain' }, body: all });
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of all.subarray(0, sep).toString('latin1').split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i < 0) continue;
        const k = line.slice(0, i).trim().toLowerCase();
        const v = line.slice(i + 1).trim();
        if (k === 'status') status = parseInt(v, 10);
        else headers[k] = v;
      }
      resolve({ status, headers, body: all.subarray(sep + sepLen) });
    });
  });
}

/** Starts the bridge on 127.0.0.1 (port 0) with freshly made data. */
export async function startMapServer(): Promise<WmsFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'mapserver-'));
  const { mapfile, config } = await makeData(dir);
  const requests: URLSearchParams[] = [];
  const fixture: WmsFixture = {
    url: '',
    requests,
    dir,
    getMaps: () => requests.filter((q) => [...q].some(([k, v]) => k.toUpperCase() === 'REQUEST' && v.toLowerCase() === 'getmap')).length,
    close: async () => {},
  };
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    requests.push(u.searchParams);
    runCgi(u.search.slice(1), config).then((answer) => {
      const a = fixture.tamper ? fixture.tamper(answer, u.searchParams) : answer;
      res.writeHead(a.status, { ...a.headers, 'content-length': String(a.body.length) });
      res.end(a.body);
    }, (e: Error) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(e.message);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  fixture.url = `http://127.0.0.1:${port}/mapserv?map=${encodeURIComponent(mapfile)}`;
  fixture.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  };
  return fixture;
}
