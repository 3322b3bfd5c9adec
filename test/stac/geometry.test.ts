import { describe, expect, it } from 'vitest';
import { bboxGeometry, geometriesIntersect, itemIntersects, tilePolygon } from '../../src/stac/geometry.js';
import type { Geometry, Polygon } from '../../src/stac/types.js';
import { tileBoundsLonLat } from '../../src/tiling/web-mercator.js';
import { fixtureItems } from '../helpers/stac-api.js';

const box = (w: number, s: number, e: number, n: number): Polygon => ({
  type: 'Polygon',
  coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]],
});

describe('geometriesIntersect', () => {
  it('overlapping, containing, touching and apart polygons', () => {
    expect(geometriesIntersect(box(0, 0, 2, 2), box(1, 1, 3, 3))).toBe(true); // edges cross
    expect(geometriesIntersect(box(0, 0, 10, 10), box(4, 4, 5, 5))).toBe(true); // inside, no crossing
    expect(geometriesIntersect(box(4, 4, 5, 5), box(0, 0, 10, 10))).toBe(true);
    expect(geometriesIntersect(box(0, 0, 1, 1), box(1, 0, 2, 1))).toBe(true); // shared edge
    expect(geometriesIntersect(box(0, 0, 1, 1), box(1, 1, 2, 2))).toBe(true); // shared corner
    expect(geometriesIntersect(box(0, 0, 1, 1), box(1.001, 0, 2, 1))).toBe(false);
  });

  it('uses the polygon, not its bbox: a triangle whose bbox covers the box but not its corner', () => {
    const triangle: Polygon = { type: 'Polygon', coordinates: [[[0, 0], [10, 0], [0, 10], [0, 0]]] };
    expect(geometriesIntersect(triangle, box(8, 8, 9, 9))).toBe(false);
    expect(geometriesIntersect(triangle, box(4, 4, 6, 6))).toBe(true);
  });

  it('holes are outside', () => {
    const donut: Polygon = { type: 'Polygon', coordinates: [box(0, 0, 10, 10).coordinates[0]!, box(3, 3, 7, 7).coordinates[0]!] };
    expect(geometriesIntersect(donut, box(4, 4, 6, 6))).toBe(false);
    expect(geometriesIntersect(donut, box(4, 4, 8, 6))).toBe(true);
  });

  it('points, lines, multipolygons and collections', () => {
    const point: Geometry = { type: 'Point', coordinates: [0.5, 0.5] };
    expect(geometriesIntersect(point, box(0, 0, 1, 1))).toBe(true);
    expect(geometriesIntersect({ type: 'Point', coordinates: [1, 0.5] }, box(0, 0, 1, 1))).toBe(true); // on the boundary
    expect(geometriesIntersect({ type: 'Point', coordinates: [2, 2] }, box(0, 0, 1, 1))).toBe(false);
    expect(geometriesIntersect(point, { type: 'Point', coordinates: [0.5, 0.5] })).toBe(true);
    const line: Geometry = { type: 'LineString', coordinates: [[-1, 0.5], [2, 0.5]] };
    expect(geometriesIntersect(line, box(0, 0, 1, 1))).toBe(true);
    expect(geometriesIntersect({ type: 'Point', coordinates: [1, 0.5] }, line)).toBe(true);
    const multi: Geometry = { type: 'MultiPolygon', coordinates: [box(0, 0, 1, 1).coordinates, box(5, 5, 6, 6).coordinates] };
    expect(geometriesIntersect(multi, box(5.5, 5.5, 7, 7))).toBe(true);
    expect(geometriesIntersect(multi, box(2, 2, 4, 4))).toBe(false);
    expect(geometriesIntersect({ type: 'GeometryCollection', geometries: [point, multi] }, box(5.5, 5.5, 7, 7))).toBe(true);
  });

  it('throws on malformed geometries', () => {
    expect(() => geometriesIntersect({ type: 'Polygon', coordinates: [[[0, 0]]] } as Polygon, box(0, 0, 1, 1))).toThrow();
    expect(() => geometriesIntersect({ type: 'Nope' } as unknown as Geometry, box(0, 0, 1, 1))).toThrow();
  });

  it('bboxes, antimeridian-crossing ones split in two', () => {
    expect(bboxGeometry([0, 0, 1, 1])).toEqual(box(0, 0, 1, 1));
    expect(bboxGeometry([0, 0, -5, 1, 1, 5])).toEqual(box(0, 0, 1, 1));
    const crossing = bboxGeometry([170, -10, -170, 10])!;
    expect(geometriesIntersect(crossing, box(175, 0, 176, 1))).toBe(true);
    expect(geometriesIntersect(crossing, box(-175, 0, -174, 1))).toBe(true);
    expect(geometriesIntersect(crossing, box(0, 0, 1, 1))).toBe(false);
    expect(bboxGeometry([0, 1, 1, 0])).toBeUndefined();
    expect(bboxGeometry([0, 0, 1])).toBeUndefined();
  });

  it('real items against tiles: the S2 granule 13TDE covers the fixture search point, not a z12 tile east of its bbox', () => {
    const { v1S2 } = fixtureItems();
    // z8 tile 53/96 holds the search point of the fixture (-105.1019, 40.1672).
    expect(itemIntersects(v1S2, tilePolygon({ z: 8, x: 53, y: 96 }))).toBe(true);
    expect(tileBoundsLonLat({ z: 8, x: 53, y: 96 })[0]).toBeCloseTo(-105.46875, 9);
    // The granule's bbox reaches -104.88 E, 39.66 N; a tile at (-104.6, 39.8) is outside.
    expect(itemIntersects(v1S2, tilePolygon({ z: 12, x: 857, y: 1553 }))).toBe(false);
    // An item without geometry falls back to its bbox.
    expect(itemIntersects({ ...v1S2, geometry: null }, tilePolygon({ z: 8, x: 53, y: 96 }))).toBe(true);
    expect(itemIntersects({ ...v1S2, geometry: null, bbox: undefined }, tilePolygon({ z: 8, x: 53, y: 96 }))).toBe(false);
  });
});
