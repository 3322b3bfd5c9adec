import { describe, expect, it } from 'vitest';
import { LinkedAbort } from '../../src/server/linked-abort.js';

describe('LinkedAbort', () => {
  it("aborts with its parent's reason, or on its own without touching the parent", () => {
    const parent = new AbortController();
    const a = new LinkedAbort(parent.signal), b = new LinkedAbort(parent.signal);
    b.abort(new Error('own'));
    expect([parent.signal.aborted, (b.signal.reason as Error).message]).toEqual([false, 'own']);
    parent.abort(new Error('parent'));
    expect((a.signal.reason as Error).message).toBe('parent');
    expect(new LinkedAbort(parent.signal).signal.aborted).toBe(true); // an aborted parent at once
  });

  it('stops following the parent once released', () => {
    const parent = new AbortController();
    const a = new LinkedAbort(parent.signal);
    a.release();
    parent.abort();
    expect(a.signal.aborted).toBe(false);
    expect(new LinkedAbort().signal.aborted).toBe(false); // no parent
  });
});
