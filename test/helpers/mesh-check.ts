import { parse } from '@loaders.gl/core';
import { QuantizedMeshLoader } from '@loaders.gl/terrain';

/**
 * Decodes a .terrain body the way kepler.gl (or Cesium) does and measures it against the height grid
 * it was made from: vertex heights, and the true error at every grid point.
 */
export type Bounds = [west: number, south: number, east: number, north: number];

export interface DecodedMesh {
  /** lon, lat, height per vertex. */
  positions: Float32Array;
  indices: Uint16Array | Uint32Array;
}

export async function decodeTerrain(body: Buffer | Uint8Array, bounds: Bounds, orientation: 'kepler' | 'spec'): Promise<DecodedMesh> {
  const [w, s, e, n] = bounds;
  const copy = new Uint8Array(body).slice().buffer;
  const mesh = (await parse(copy, QuantizedMeshLoader, {
    'quantized-mesh': { bounds: orientation === 'kepler' ? [w, n, e, s] : [w, s, e, n], skirtHeight: 0 },
  })) as { attributes: { POSITION: { value: Float32Array } }; indices: { value: Uint16Array | Uint32Array } };
  return { positions: mesh.attributes.POSITION.value, indices: mesh.indices.value };
}

const mercY = (lat: number) => Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360));

/** Grid coordinates (0..size) of a decoded vertex: x linear in longitude, y linear in Mercator y from the north. */
export function gridXY(lon: number, lat: number, bounds: Bounds, size: number): [number, number] {
  const [w, s, e, n] = bounds;
  return [((lon - w) / (e - w)) * size, ((mercY(n) - mercY(lat)) / (mercY(n) - mercY(s))) * size];
}

/** Largest |mesh height - grid height| over every grid point a triangle covers, and how many points were covered. */
export function trueError(mesh: DecodedMesh, grid: Float32Array, size: number, bounds: Bounds): { maxError: number; covered: number } {
  const g = size + 1;
  const p = mesh.positions;
  // vertices sit on grid points: snap away the float32 noise of decoded degrees
  const xy = Array.from({ length: p.length / 3 }, (_, i) => gridXY(p[3 * i], p[3 * i + 1], bounds, size).map(Math.round) as [number, number]);
  const seen = new Uint8Array(g * g);
  let maxError = 0;
  const eps = 1e-3;
  for (let t = 0; t < mesh.indices.length; t += 3) {
    const [a, b, c] = [mesh.indices[t], mesh.indices[t + 1], mesh.indices[t + 2]];
    const [[ax, ay], [bx, by], [cx, cy]] = [xy[a], xy[b], xy[c]];
    const det = (by - cy) * (ax - cx) + (cx - bx) * (ay - cy);
    if (Math.abs(det) < 1e-9) continue;
    for (let y = Math.max(0, Math.ceil(Math.min(ay, by, cy) - eps)); y <= Math.min(size, Math.floor(Math.max(ay, by, cy) + eps)); y++) {
      for (let x = Math.max(0, Math.ceil(Math.min(ax, bx, cx) - eps)); x <= Math.min(size, Math.floor(Math.max(ax, bx, cx) + eps)); x++) {
        const l1 = ((by - cy) * (x - cx) + (cx - bx) * (y - cy)) / det;
        const l2 = ((cy - ay) * (x - cx) + (ax - cx) * (y - cy)) / det;
        const l3 = 1 - l1 - l2;
        if (l1 < -eps || l2 < -eps || l3 < -eps) continue;
        const h = l1 * p[3 * a + 2] + l2 * p[3 * b + 2] + l3 * p[3 * c + 2];
        maxError = Math.max(maxError, Math.abs(h - grid[y * g + x]));
        seen[y * g + x] = 1;
      }
    }
  }
  return { maxError, covered: seen.reduce((s, v) => s + v, 0) };
}
