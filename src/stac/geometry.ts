import { badRequest } from '../server/errors.js';
import { tileBoundsLonLat, type TileIndex } from '../tiling/web-mercator.js';
import type { BBox, Geometry, Polygon, Position, StacItem } from './types.js';

/**
 * Planar intersection tests in longitude/latitude, the way a STAC API's `intersects` filter
 * (PostGIS/Elasticsearch `intersects`) answers them: boundaries that touch count. Used to reuse an
 * ancestor tile's search for its descendants and to keep a query's own bbox/intersects as a local
 * filter. Geometries crossing the antimeridian must be split (RFC 7946 3.1.9), as STAC items are.
 */

/** One connected piece of a geometry: its segments (a point is a zero-length one) and, for polygons, its rings. */
interface Part {
  segments: Array<[Position, Position]>;
  rings?: Position[][];
  bbox: BBox;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isPosition = (v: unknown): v is Position => Array.isArray(v) && v.length >= 2 && isNumber(v[0]) && isNumber(v[1]);

function bboxOf(positions: Position[]): BBox {
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of positions as Array<[number, number]>) {
    if (x < w) w = x;
    if (x > e) e = x;
    if (y < s) s = y;
    if (y > n) n = y;
  }
  return [w, s, e, n];
}

const bboxesOverlap = (a: BBox, b: BBox) => a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];

function ringSegments(ring: Position[]): Array<[Position, Position]> {
  const segments: Array<[Position, Position]> = [];
  for (let i = 0; i + 1 < ring.length; i++) segments.push([ring[i]!, ring[i + 1]!]);
  const last = ring[ring.length - 1]!;
  if (ring.length > 1 && (last[0] !== ring[0]![0] || last[1] !== ring[0]![1])) segments.push([last, ring[0]!]); // unclosed ring
  return segments;
}

function lineSegments(line: Position[]): Array<[Position, Position]> {
  if (line.length === 1) return [[line[0]!, line[0]!]];
  const segments: Array<[Position, Position]> = [];
  for (let i = 0; i + 1 < line.length; i++) segments.push([line[i]!, line[i + 1]!]);
  return segments;
}

const invalid = () => new Error('invalid GeoJSON geometry');

function checkPositions(positions: unknown, min: number): Position[] {
  if (!Array.isArray(positions) || positions.length < min || !positions.every(isPosition)) throw invalid();
  return positions;
}

function polygonPart(rings: unknown): Part {
  if (!Array.isArray(rings) || rings.length === 0) throw invalid();
  const checked = rings.map((ring) => checkPositions(ring, 3));
  return { segments: checked.flatMap(ringSegments), rings: checked, bbox: bboxOf(checked[0]!) };
}

function lineParts(positions: Position[]): Part {
  return { segments: lineSegments(positions), bbox: bboxOf(positions) };
}

/** The parts of a geometry; throws on a malformed one. */
function partsOf(geometry: Geometry): Part[] {
  const g = geometry as { type?: unknown; coordinates?: unknown; geometries?: unknown };
  const coordinates = g.coordinates as unknown[];
  switch (g.type) {
    case 'Point':
      return [lineParts(checkPositions([coordinates], 1))];
    case 'MultiPoint':
      return checkPositions(coordinates, 1).map((p) => lineParts([p]));
    case 'LineString':
      return [lineParts(checkPositions(coordinates, 2))];
    case 'MultiLineString':
      if (!Array.isArray(coordinates)) throw invalid();
      return coordinates.map((line) => lineParts(checkPositions(line, 2)));
    case 'Polygon':
      return [polygonPart(coordinates)];
    case 'MultiPolygon':
      if (!Array.isArray(coordinates)) throw invalid();
      return coordinates.map(polygonPart);
    case 'GeometryCollection':
      if (!Array.isArray(g.geometries)) throw invalid();
      return (g.geometries as Geometry[]).flatMap(partsOf);
    default:
      throw invalid();
  }
}

const orient = (a: Position, b: Position, c: Position) => Math.sign((b[0]! - a[0]!) * (c[1]! - a[1]!) - (b[1]! - a[1]!) * (c[0]! - a[0]!));
const within = (a: Position, b: Position, p: Position) =>
  Math.min(a[0]!, b[0]!) <= p[0]! && p[0]! <= Math.max(a[0]!, b[0]!) && Math.min(a[1]!, b[1]!) <= p[1]! && p[1]! <= Math.max(a[1]!, b[1]!);

/** Closed segments intersect (touching and collinear overlap included; zero-length segments are points). */
function segmentsIntersect([p1, p2]: [Position, Position], [q1, q2]: [Position, Position]): boolean {
  const o1 = orient(p1, p2, q1);
  const o2 = orient(p1, p2, q2);
  const o3 = orient(q1, q2, p1);
  const o4 = orient(q1, q2, p2);
  if (o1 * o2 < 0 && o3 * o4 < 0) return true;
  return (
    (o1 === 0 && within(p1, p2, q1)) ||
    (o2 === 0 && within(p1, p2, q2)) ||
    (o3 === 0 && within(q1, q2, p1)) ||
    (o4 === 0 && within(q1, q2, p2))
  );
}

/** Even-odd rule over every ring, so holes are outside. Points on the boundary are found by the segment test. */
function insideRings(p: Position, rings: Position[][]): boolean {
  let inside = false;
  const [x, y] = p as [number, number];
  for (const ring of rings) {
    for (const [a, b] of ringSegments(ring)) {
      const [ax, ay] = a as [number, number];
      const [bx, by] = b as [number, number];
      if (ay > y !== by > y && x < ((bx - ax) * (y - ay)) / (by - ay) + ax) inside = !inside;
    }
  }
  return inside;
}

function partsIntersect(a: Part, b: Part): boolean {
  if (!bboxesOverlap(a.bbox, b.bbox)) return false;
  for (const sa of a.segments) for (const sb of b.segments) if (segmentsIntersect(sa, sb)) return true;
  // No boundary crossing: one part is wholly inside the other or they are apart; one vertex decides.
  if (b.rings && insideRings(a.segments[0]![0], b.rings)) return true;
  if (a.rings && insideRings(b.segments[0]![0], a.rings)) return true;
  return false;
}

/** True when the geometries share at least one point. Throws on a malformed geometry. */
export function geometriesIntersect(a: Geometry, b: Geometry): boolean {
  const partsA = partsOf(a);
  const partsB = partsOf(b);
  return partsA.some((pa) => partsB.some((pb) => partsIntersect(pa, pb)));
}

/** The bbox of a geometry (not split at the antimeridian). */
export function geometryBbox(geometry: Geometry): BBox {
  const boxes = partsOf(geometry).map((part) => part.bbox);
  return [
    Math.min(...boxes.map((b) => b[0])),
    Math.min(...boxes.map((b) => b[1])),
    Math.max(...boxes.map((b) => b[2])),
    Math.max(...boxes.map((b) => b[3])),
  ];
}

const rectangle = (w: number, s: number, e: number, n: number): Position[][] => [
  [[w, s], [e, s], [e, n], [w, n], [w, s]],
];

/**
 * A STAC bbox (4 or 6 numbers) as a geometry; one crossing the antimeridian (west > east) becomes
 * two rectangles. Returns undefined when it is not a valid bbox.
 */
export function bboxGeometry(bbox: unknown): Geometry | undefined {
  if (!Array.isArray(bbox) || (bbox.length !== 4 && bbox.length !== 6) || !bbox.every(isNumber)) return undefined;
  const [w, s, e, n] = bbox.length === 4 ? bbox : [bbox[0], bbox[1], bbox[3], bbox[4]];
  if (s > n) return undefined;
  if (w <= e) return { type: 'Polygon', coordinates: rectangle(w, s, e, n) };
  return { type: 'MultiPolygon', coordinates: [rectangle(w, s, 180, n), rectangle(-180, s, e, n)] };
}

/** The footprint of an item: its geometry, else its bbox; undefined when it has neither. */
export function itemFootprint(item: StacItem): Geometry | undefined {
  return item.geometry ?? bboxGeometry(item.bbox);
}

/** True when the item's footprint intersects the geometry. An item with no usable footprint does not. */
export function itemIntersects(item: StacItem, geometry: Geometry): boolean {
  const footprint = itemFootprint(item);
  if (!footprint) return false;
  try {
    return geometriesIntersect(footprint, geometry);
  } catch {
    return false; // a malformed item geometry matches nothing
  }
}

/** The lon/lat rectangle of a WebMercatorQuad tile as a GeoJSON Polygon (counter-clockwise, closed). */
export function tilePolygon(tile: TileIndex): Polygon {
  const [w, s, e, n] = tileBoundsLonLat(tile);
  return { type: 'Polygon', coordinates: rectangle(w, s, e, n) };
}

/** Checks a client-given geometry (a query's `intersects`); 400 when it is not valid GeoJSON. */
export function checkGeometry(value: unknown, what: string): Geometry {
  try {
    if (typeof value !== 'object' || value === null) throw invalid();
    partsOf(value as Geometry);
    return value as Geometry;
  } catch {
    throw badRequest(`invalid ${what}: not a GeoJSON geometry`);
  }
}
