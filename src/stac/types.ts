/**
 * The parts of GeoJSON and STAC (Item, Asset, Link, ItemCollection) this server reads. Items are
 * kept as the API sent them: the index signatures carry every other field through untouched.
 */

export type Position = number[];
export interface Point { type: 'Point'; coordinates: Position }
export interface MultiPoint { type: 'MultiPoint'; coordinates: Position[] }
export interface LineString { type: 'LineString'; coordinates: Position[] }
export interface MultiLineString { type: 'MultiLineString'; coordinates: Position[][] }
export interface Polygon { type: 'Polygon'; coordinates: Position[][] }
export interface MultiPolygon { type: 'MultiPolygon'; coordinates: Position[][][] }
export interface GeometryCollection { type: 'GeometryCollection'; geometries: Geometry[] }
export type Geometry = Point | MultiPoint | LineString | MultiLineString | Polygon | MultiPolygon | GeometryCollection;

/** [west, south, east, north] in degrees; west > east crosses the antimeridian (RFC 7946 5.2). */
export type BBox = [number, number, number, number];

export interface StacLink {
  rel: string;
  href: string;
  type?: string;
  /** STAC API paging extension: how to follow a `next` link. */
  method?: string;
  body?: Record<string, unknown>;
  merge?: boolean;
  headers?: Record<string, string | string[]>;
  [key: string]: unknown;
}

export interface StacAsset {
  href: string;
  type?: string;
  roles?: string[];
  title?: string;
  [key: string]: unknown;
}

export interface StacItem {
  type: 'Feature';
  id: string;
  collection?: string;
  geometry: Geometry | null;
  bbox?: number[];
  properties: Record<string, unknown>;
  assets: Record<string, StacAsset>;
  links: StacLink[];
  stac_version?: string;
  stac_extensions?: string[];
  [key: string]: unknown;
}

/** An item-search response page (ItemCollection). */
export interface StacItemCollection {
  type: 'FeatureCollection';
  features: StacItem[];
  links?: StacLink[];
  numberMatched?: number;
  numberReturned?: number;
  context?: { matched?: number; returned?: number; limit?: number; page?: number; [key: string]: unknown };
  [key: string]: unknown;
}
