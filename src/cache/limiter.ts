/** At most `limit` async jobs at once (GetMaps to one WMS pool); the rest wait in order. 0 = no limit. */
export class Limiter {
  private running = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  get active() {
    return this.running;
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.limit > 0 && this.running >= this.limit) await new Promise<void>((r) => this.queue.push(r));
    this.running++;
    try {
      return await job();
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }
}
