/**
 * GDAL's approximate transformer (alg/gdaltransformer.cpp, GDALApproxTransform), for one row of
 * output pixels: transform the two ends and the middle exactly; if the middle is within `maxError`
 * of the straight line between the ends, interpolate the whole row linearly, else split at the
 * middle and recurse; rows of 5 points or fewer (or a zero maxError) are transformed exactly. gdalwarp warps with it
 * (error threshold 0.125 source pixels), so reproducing it reproduces gdalwarp's pixel choices.
 */
export type Transform = (x: number, y: number) => [number, number];

export function approximateRow(transform: Transform, xs: Float64Array, y: number, maxError: [number, number], outX: Float64Array, outY: Float64Array) {
  const n = xs.length;
  if (n === 0) return;
  const exact = (a: number, b: number) => {
    for (let i = a; i <= b; i++) [outX[i], outY[i]] = transform(xs[i], y);
  };
  const split = (a: number, b: number, pa: [number, number], pb: [number, number]) => {
    const count = b - a + 1;
    if (count <= 5) return exact(a, b);
    const mid = a + Math.floor((count - 1) / 2);
    const pm = transform(xs[mid], y);
    const span = xs[b] - xs[a];
    const dX = (pb[0] - pa[0]) / span;
    const dY = (pb[1] - pa[1]) / span;
    const error = Math.abs(pa[0] + dX * (xs[mid] - xs[a]) - pm[0]) / maxError[0] + Math.abs(pa[1] + dY * (xs[mid] - xs[a]) - pm[1]) / maxError[1];
    if (!(error <= 1)) {
      split(a, mid, pa, pm);
      split(mid, b, pm, pb);
      return;
    }
    for (let i = a; i <= b; i++) {
      outX[i] = pa[0] + dX * (xs[i] - xs[a]);
      outY[i] = pa[1] + dY * (xs[i] - xs[a]);
    }
  };
  if (n <= 5 || maxError[0] <= 0 || maxError[1] <= 0) return exact(0, n - 1);
  split(0, n - 1, transform(xs[0], y), transform(xs[n - 1], y));
}
