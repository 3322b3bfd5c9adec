// /viewer/mesh-example: meshes a Terrarium tile client-side with the browser build of the kernels
// (kepler-raster-server/wasm) and draws the wireframe, shaded by height, on a canvas.
import { decodeImage, loadKernels, type TerrainMesh, type TileIndex, type WasmKernels } from '../browser/index.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $('status');
const canvas = $<HTMLCanvasElement>('mesh');

/** Heights of tile z/x/y from the template, or undefined when there is none (404). */
async function heightsOf(k: WasmKernels, template: string, t: TileIndex): Promise<Float32Array | undefined> {
  const n = 2 ** t.z;
  if (t.y < 0 || t.y >= n) return undefined;
  const url = template.replace('{z}', String(t.z)).replace('{x}', String(((t.x % n) + n) % n)).replace('{y}', String(t.y));
  const res = await fetch(url);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  const img = await decodeImage(await res.blob());
  return k.decodeTerrarium(img.rgba, img.width, img.height, 4);
}

export function drawMesh(target: HTMLCanvasElement, result: TerrainMesh): void {
  const ctx = target.getContext('2d')!;
  const { mesh, grid, gridSize } = result;
  const s = target.width / (gridSize - 1);
  let lo = Infinity, hi = -Infinity;
  for (const h of grid) { if (h < lo) lo = h; if (h > hi) hi = h; }
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, target.width, target.height);
  ctx.lineWidth = 0.5;
  const v = mesh.vertices, tri = mesh.triangles;
  for (let i = 0; i < tri.length; i += 3) {
    const a = tri[i]!, b = tri[i + 1]!, c = tri[i + 2]!;
    const h = (grid[v[2 * a + 1]! * gridSize + v[2 * a]!]! - lo) / (hi - lo || 1);
    ctx.fillStyle = `hsl(${Math.round(220 - 200 * h)} 60% ${Math.round(45 + 30 * h)}%)`;
    ctx.strokeStyle = '#0005';
    ctx.beginPath();
    ctx.moveTo(v[2 * a]! * s, v[2 * a + 1]! * s);
    ctx.lineTo(v[2 * b]! * s, v[2 * b + 1]! * s);
    ctx.lineTo(v[2 * c]! * s, v[2 * c + 1]! * s);
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
  }
}

export async function meshTile(k: WasmKernels, template: string, t: TileIndex, maxError: number, quantizer: 'martini' | 'delatin') {
  const t0 = performance.now();
  const [center, east, south, southEast] = await Promise.all([
    heightsOf(k, template, t),
    heightsOf(k, template, { z: t.z, x: t.x + 1, y: t.y }),
    heightsOf(k, template, { z: t.z, x: t.x, y: t.y + 1 }),
    heightsOf(k, template, { z: t.z, x: t.x + 1, y: t.y + 1 }),
  ]);
  if (!center) throw new Error(`no tile ${t.z}/${t.x}/${t.y}`);
  const t1 = performance.now();
  const result = k.meshTerrainTile(t, { center, east, south, southEast }, { maxError, quantizer });
  const t2 = performance.now();
  return { result, fetchMs: t1 - t0, meshMs: t2 - t1 };
}

const kernels = await loadKernels();
(window as unknown as { meshExample: unknown }).meshExample = { kernels, meshTile, drawMesh };

async function run() {
  const [z, x, y] = $<HTMLInputElement>('tile').value.split('/').map(Number) as [number, number, number];
  const template = $<HTMLInputElement>('template').value;
  const maxError = Number($<HTMLInputElement>('maxError').value);
  const quantizer = $<HTMLSelectElement>('quantizer').value as 'martini' | 'delatin';
  status.className = '';
  status.textContent = 'meshing…';
  try {
    const { result, fetchMs, meshMs } = await meshTile(kernels, template, { z, x, y }, maxError, quantizer);
    drawMesh(canvas, result);
    status.textContent = `${z}/${x}/${y}: ${result.mesh.vertices.length / 2} vertices, ${result.mesh.triangles.length / 3} triangles, `
      + `quantized-mesh ${result.quantizedMesh.byteLength} bytes; fetch + decode ${fetchMs.toFixed(1)} ms, grid + mesh + encode ${meshMs.toFixed(1)} ms`;
    document.body.dataset.meshed = 'true';
  } catch (err) {
    status.className = 'error';
    status.textContent = (err as Error).message;
  }
}

$<HTMLFormElement>('controls').addEventListener('submit', (ev) => { ev.preventDefault(); void run(); });
void run();
