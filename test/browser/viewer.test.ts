import { join } from 'node:path';
import { decode } from 'fast-png';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithChromium, launchChromium, type LaunchedBrowser } from '../helpers/chromium.js';
import { fixture, testApp } from '../helpers/app.js';
import { cloneItem, fixtureItems, startStacApi, type StacApi } from '../helpers/stac-api.js';

/** The viewer at /viewer in headless Chromium, on the bundled demo COGs, looked at as a user would. */
const RGB = fixture('riotiler-cog_uint8_rgb_mask_4326.tif');
const DEM = fixture('titiler-dem_float32_epsg2056.tif');
const BACKGROUND = [0xdd, 0xe3, 0xea];

interface Shot { width: number; height: number; rgb(x: number, y: number): [number, number, number] }

async function waitForTiles(page: Page) {
  await page.waitForFunction(() => {
    const v = (window as any).viewer;
    return v?.current && v.map.getSource('cog') && v.map.isSourceLoaded('cog') && v.map.areTilesLoaded() && v.map.loaded() && v.tilesLoaded > 0;
  }, undefined, { timeout: 30_000, polling: 100 });
  // one more frame so the last tiles are drawn
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
}

/** VIEWER_SCREENSHOTS=dir keeps the screenshots for a look. */
async function screenshot(page: Page, name: string): Promise<Shot> {
  const dir = process.env.VIEWER_SCREENSHOTS;
  await page.screenshot({ path: dir ? join(dir, `${name}-page.png`) : undefined });
  const png = decode(await page.locator('#map').screenshot({ path: dir ? join(dir, `${name}.png`) : undefined }));
  const c = png.channels;
  return {
    width: png.width,
    height: png.height,
    rgb: (x, y) => {
      const i = (Math.round(y) * png.width + Math.round(x)) * c;
      return [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
    },
  };
}

const project = (page: Page, lon: number, lat: number) =>
  page.evaluate(([lo, la]) => { const p = (window as any).viewer.map.project([lo, la]); return [p.x, p.y] as [number, number]; }, [lon, lat]);

/** Fraction of the screenshot's pixels (sampled) that are not the map background. */
function notBackground(shot: Shot): number {
  let n = 0, other = 0;
  for (let y = 0; y < shot.height; y += 4) for (let x = 0; x < shot.width; x += 4, n++) if (!near(shot.rgb(x, y), BACKGROUND, 2)) other++;
  return other / n;
}

/** RGB of the shown layer's tile pixel at lon/lat, fetched from the server (tile zoom as MapLibre picks it for a raster source). */
async function tilePixel(page: Page, lon: number, lat: number): Promise<number[]> {
  const { template, z } = await page.evaluate(() => {
    const v = (window as any).viewer;
    const src = v.map.getSource('cog');
    return { template: v.current.tiles as string, z: Math.min(src.maxzoom, Math.max(src.minzoom, Math.round(v.map.getZoom()))) as number };
  });
  const n = 2 ** z;
  const fx = ((lon + 180) / 360) * n;
  const r = (lat * Math.PI) / 180;
  const fy = ((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n;
  const url = template.replace('{z}', String(z)).replace('{x}', String(Math.floor(fx))).replace('{y}', String(Math.floor(fy)));
  const png = decode(new Uint8Array(await (await fetch(url)).arrayBuffer()));
  const px = Math.floor((fx % 1) * png.width), py = Math.floor((fy % 1) * png.height);
  const i = (py * png.width + px) * png.channels;
  return [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
}

const near = (a: number[], b: number[], tol: number) => a.every((v, i) => Math.abs(v - b[i]!) <= tol);

describeWithChromium('viewer in Chromium', () => {
  let app: FastifyInstance;
  let base: string;
  let chrome: LaunchedBrowser;
  let page: Page;
  let stac: StacApi;
  const errors: string[] = [];

  beforeAll(async () => {
    // a STAC API on loopback with one item whose asset is the demo RGB COG
    const item = cloneItem(fixtureItems().v1S2, { id: 'demo', datetime: '2024-01-01T00:00:00Z' });
    item.geometry = { type: 'Polygon', coordinates: [[[0, -2.56], [2.56, -2.56], [2.56, 0], [0, 0], [0, -2.56]]] } as typeof item.geometry;
    item.bbox = [0, -2.56, 2.56, 0];
    item.links = []; // no self link: the local href is not resolved against Earth Search's URL
    item.assets = { visual: { ...item.assets.red, href: RGB, type: 'image/tiff; application=geotiff; profile=cloud-optimized' } };
    stac = await startStacApi([item]);
    app = await testApp({}, [stac.root]);
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    chrome = await launchChromium();
    page = await chrome.context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
    // failed requests, by URL (the bad-URL test below makes its 4xx on purpose)
    page.on('response', (r) => { if (r.status() >= 400 && !r.url().includes('nowhere')) errors.push(`${r.status()} ${r.url()}`); });
  }, 60_000);
  afterAll(async () => {
    await chrome?.close();
    await app?.close();
    await stac?.close();
  });

  it('/ links the viewer', async () => {
    const res = await fetch(`${base}/`);
    expect(await res.text()).toContain('href="/viewer"');
  });

  it('shows the demo RGB COG: tiles drawn, background outside, the COG colours inside, timings logged', async () => {
    await page.goto(`${base}/viewer`);
    await waitForTiles(page);
    const shot = await screenshot(page, 'rgb');
    expect(shot.width).toBeGreaterThan(300);

    // not blank: most of the map is the dataset (its unmasked part drawn, its masked quarter not)
    expect(notBackground(shot)).toBeGreaterThan(0.4)

    // outside the dataset (bounds 0..2.56 E, -2.56..0 N) and where it is masked: the map background
    // (the map is fitted to the bounds with a 20 px padding: its left margin is outside)
    expect(near(shot.rgb(5, shot.height / 2), BACKGROUND, 2)).toBe(true);

    // inside: the values the server reports at that point (tiles are lossless PNG; tolerance for
    // the map's linear texture filtering between neighbouring pixels)
    const checks: Array<[number, number]> = [[0.7, -0.7], [1.28, -1.28], [1.9, -1.9], [0.4, -2.1], [2.2, -0.4]];
    let matched = 0;
    for (const [lon, lat] of checks) {
      const point = await (await fetch(`${base}/cog/point/${lon},${lat}?url=${encodeURIComponent(RGB)}`)).json() as { values: Array<number | null> };
      const [x, y] = await project(page, lon, lat);
      const seen = shot.rgb(x, y);
      if (point.values.some((v) => v === null)) {
        expect(near(seen, BACKGROUND, 2), `masked at ${lon},${lat}`).toBe(true);
      } else if (near(seen, point.values as number[], 24)) {
        matched++;
      } else {
        console.warn(`at ${lon},${lat}: screen ${seen.join()} vs point ${point.values.join()}`);
      }
    }
    expect(matched).toBeGreaterThanOrEqual(4);

    // the timings table lists the tile requests, all successful
    const rows = await page.locator('#timings tbody tr').count();
    expect(rows).toBeGreaterThan(0);
    const state = await page.evaluate(() => ({ n: (window as any).viewer.tilesLoaded, bad: (window as any).viewer.tileErrors }));
    expect(state.bad).toBe(0);
    expect(await page.locator('#timings tbody tr').first().locator('td').first().textContent()).toMatch(/^cog \d+\/\d+\/\d+/);
    expect(errors).toEqual([]);
  });

  it('the controls switch to the DEM with a rescale and colormap, drawn in the colormap', async () => {
    await page.selectOption('#dataset', 'dem');
    await page.waitForFunction((url) => (window as any).viewer.current?.tiles.includes(encodeURIComponent(url)), DEM);
    await waitForTiles(page);
    expect(await page.inputValue('#colormap')).toBe('terrain');
    expect(await page.inputValue('#rescale')).toBe('1600,1800');
    const shot = await screenshot(page, 'dem');
    // the middle of the DEM, against the server's own tile pixel for that place
    const [lon, lat] = [7.0971, 45.9206];
    const point = await (await fetch(`${base}/cog/point/${lon},${lat}?url=${encodeURIComponent(DEM)}`)).json() as { values: number[] };
    const h = point.values[0]!;
    expect(h).toBeGreaterThan(1600);
    expect(notBackground(shot)).toBeGreaterThan(0.5);
    // at known places, the colour of the server's own tile pixel there (the map filters linearly
    // between pixels: a small tolerance)
    const places: Array<[number, number]> = [[lon, lat], [7.093, 45.918], [7.101, 45.924], [7.093, 45.924], [7.101, 45.918]];
    const colours = new Set<string>();
    for (const [plon, plat] of places) {
      const [x, y] = await project(page, plon, plat);
      const seen = shot.rgb(x, y);
      const expected = await tilePixel(page, plon, plat);
      expect(near(seen, expected, 20), `at ${plon},${plat}: screen ${seen.join()} vs tile ${expected.join()}`).toBe(true);
      colours.add(expected.join());
    }
    expect(colours.size).toBeGreaterThan(2);
    expect(errors, errors.join('\n')).toEqual([]);
  });

  it('3D terrain from the demo DEM: the map pitches, the DEM tiles load, the draped layer is drawn in relief', async () => {
    await page.check('#terrain');
    await page.waitForFunction(() => {
      const m = (window as any).viewer.map;
      return (window as any).viewer.terrainReady && m.getTerrain()?.source === 'dem' && m.areTilesLoaded() && m.loaded() && !m.isMoving();
    }, undefined, { timeout: 30_000, polling: 100 });
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    const pitch = await page.evaluate(() => (window as any).viewer.map.getPitch());
    expect(pitch).toBeGreaterThan(45);
    const shot = await screenshot(page, 'terrain');
    // terrain is really there: MapLibre's elevations (times the exaggeration) are the DEM's heights
    const places: Array<[number, number]> = [[7.0925, 45.9215], [7.0971, 45.9206], [7.1015, 45.9195]];
    const dem: number[] = [];
    for (const [lon, lat] of places) {
      dem.push(((await (await fetch(`${base}/cog/point/${lon},${lat}?url=${encodeURIComponent(DEM)}`)).json()) as { values: number[] }).values[0]!);
    }
    const seen = await page.evaluate((ps) => {
      const m = (window as any).viewer.map;
      return ps.map((p) => m.terrain.getElevationForLngLatZoom(new (window as any).maplibregl.LngLat(p[0], p[1]), 15) / m.terrain.exaggeration as number);
    }, places);
    expect(Math.abs(dem[0]! - dem[2]!)).toBeGreaterThan(100);
    for (const i of [0, 1, 2]) expect(Math.abs(seen[i]! - dem[i]!), `${seen.join()} vs DEM ${dem.join()}`).toBeLessThan(15);
    // the camera is above the ground, so the draped layer shows (not the sky, not the inside of the terrain)
    const centre = await page.evaluate(() => (window as any).viewer.map.transform.elevation as number);
    expect(centre).toBeGreaterThan(1.5 * 1600);
    expect(notBackground(shot)).toBeGreaterThan(0.2);
    const colours = new Set<string>();
    for (let y = 0; y < shot.height; y += 5) for (let x = 0; x < shot.width; x += 5) colours.add(shot.rgb(x, y).join());
    expect(colours.size).toBeGreaterThan(100);
    expect(errors, errors.join('\n')).toEqual([]);
    await page.uncheck('#terrain');
  });

  it('a STAC mosaic (a STAC API search URL and assets) is drawn from /stac/mosaic', async () => {
    await page.goto(`${base}/viewer?${new URLSearchParams({ url: stac.url, assets: 'visual', bbox: '0,-2.56,2.56,0' })}`);
    await waitForTiles(page);
    expect(await page.inputValue('#assets')).toBe('visual');
    const shot = await screenshot(page, 'stac');
    expect(notBackground(shot)).toBeGreaterThan(0.4);
    // the item's pixels where the COG has data, the background where it is masked
    const [x, y] = await project(page, 1.9, -1.9);
    expect(near(shot.rgb(x, y), [1, 1, 1], 3)).toBe(true);
    const [mx, my] = await project(page, 0.6, -0.6);
    expect(near(shot.rgb(mx, my), BACKGROUND, 2)).toBe(true);
    expect(await page.locator('#timings tbody tr').first().locator('td').first().textContent()).toMatch(/^stac\/mosaic \d+\/\d+\/\d+/);
    expect(stac.requests.length).toBeGreaterThan(0);
    expect(errors, errors.join('\n')).toEqual([]);
  });

  it('a bad dataset URL is reported in the panel, not a broken map', async () => {
    await page.fill('#url', '/nowhere/missing.tif');
    await page.click('#controls button[type=submit]');
    await page.waitForFunction(() => document.getElementById('status')?.className === 'error');
    expect(await page.textContent('#status')).toMatch(/^40\d/);
  });
});
