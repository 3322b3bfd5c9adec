// InFlight and Interest: shared work runs while anyone still waits for it.
import { describe, expect, it } from 'vitest';
import { InFlight, Interest } from '../../src/server/in-flight.js';

const later = <T>() => {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
};

describe('Interest', () => {
  it('fires when every joined signal has fired, never once someone joined without one', () => {
    const a = new AbortController(), b = new AbortController();
    const i = new Interest();
    i.join(a.signal);
    i.join(b.signal);
    a.abort();
    expect(i.signal.aborted).toBe(false);
    b.abort();
    expect(i.signal.aborted).toBe(true);

    const pinned = new Interest();
    const c = new AbortController();
    pinned.join(c.signal);
    pinned.join();
    c.abort();
    expect(pinned.signal.aborted).toBe(false);
  });
});

describe('InFlight', () => {
  it('runs the work once for concurrent askers; one leaving fails only its own wait', async () => {
    const inflight = new InFlight<number>();
    const work = later<number>();
    let started = 0;
    let workSignal: AbortSignal | undefined;
    const gone = new AbortController();
    const first = inflight.run('k', (s) => ((started++, (workSignal = s)), work.promise), gone.signal);
    const second = inflight.run('k', () => Promise.resolve(-1), new AbortController().signal);
    gone.abort(new Error('gone'));
    await expect(first).rejects.toThrow('gone');
    expect(workSignal!.aborted).toBe(false);
    work.resolve(7);
    expect(await second).toBe(7);
    expect(started).toBe(1);
    expect(inflight.join('k')).toBeUndefined(); // settled work is forgotten
  });

  it('aborts the work when all askers left, and the next ask starts afresh', async () => {
    const inflight = new InFlight<number>();
    const gone = new AbortController();
    let workSignal: AbortSignal | undefined;
    const first = inflight.run('k', (s) => ((workSignal = s), new Promise<number>(() => {})), gone.signal);
    gone.abort(new Error('gone'));
    await expect(first).rejects.toThrow('gone');
    expect(workSignal!.aborted).toBe(true);
    expect(await inflight.run('k', () => Promise.resolve(8))).toBe(8);
  });

  it('lets several keys ride on one piece of work (carry)', async () => {
    const inflight = new InFlight<string>();
    const interest = new Interest();
    const work = later<Map<string, string>>();
    for (const key of ['a', 'b']) inflight.carry(key, work.promise.then((m) => m.get(key)!), interest);
    const b = inflight.join('b');
    work.resolve(new Map([['a', 'A'], ['b', 'B']]));
    expect(await b).toBe('B');
  });
});
