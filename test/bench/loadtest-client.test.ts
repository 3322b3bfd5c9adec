import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClients } from './loadtest-client.js';

/**
 * The load test's kepler-like client against a real loopback server: it requests the viewport's
 * tiles inside the layer's extent once each, waits Retry-After (capped) after a 503 and retries
 * once, retries other failures once at once, and counts every answer.
 */
const firstSeen = new Map<string, number>();
const retryGapMs: number[] = [];
let base = '';
const server = createServer((req, res) => {
  const path = req.url ?? '/';
  if (path.startsWith('/t/5/1/1.npy')) {
    res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'boom' }));
    return;
  }
  const first = firstSeen.get(path);
  if (first === undefined) {
    firstSeen.set(path, performance.now());
    res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'busy' }));
    return;
  }
  retryGapMs.push(performance.now() - first);
  res.writeHead(200, { 'content-type': 'application/x-binary' }).end(Buffer.from('\x93NUMPY\x01\x00', 'latin1'));
});

describe('load test client', () => {
  beforeAll(async () => {
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('honours 503 Retry-After (capped), retries once, counts every answer', async () => {
    const r = await runClients({
      base, clients: 1, durationMs: 1500, mix: { cog: 1, mosaic: 0, mesh: 0 }, inflight: 2, viewport: [5, 4], thinkMs: [50, 50],
      retryCapMs: 300, timeoutMs: 5000, seed: 1,
      layers: [{ id: 't', kind: 'cog', body: 'npy', template: '/t/{z}/{x}/{y}.npy?a=1', extents: { 5: [0, 0, 1, 1] } }],
    });
    const cog = r.byKind.cog;
    // 4 tiles: 3 answer 503 then 200, one 500 twice
    expect(cog.statuses).toEqual({ 200: 3, 503: 3, 500: 2 });
    expect([cog.requests, cog.retries, cog.latenciesMs.length, cog.badBodies, cog.noRetryAfter]).toEqual([8, 4, 8, 0, 0]);
    expect(cog.tileMs).toHaveLength(4);
    expect(r.byKind.mosaic.requests + r.byKind.mesh.requests).toBe(0);
    expect(Object.keys(r.nonOk).sort()).toEqual(['cog 500 boom', 'cog 503 busy']);
    expect(r.nonOk['cog 500 boom']!.count).toBe(2);
    // Retry-After 1 s capped at 300 ms: every retry came after the wait
    expect(retryGapMs).toHaveLength(3);
    for (const gap of retryGapMs) expect(gap).toBeGreaterThanOrEqual(290);
  });
});
