/**
 * An AbortController that also aborts when a parent signal does (with the parent's reason): what
 * AbortSignal.any([parent, own]) gives, for a fraction of its cost. Node 20's AbortSignal.any takes
 * tens of microseconds and leaves weak references for the GC to clear, and the read path makes
 * several per upstream read. Call `release()` when done, so that the parent stops holding this.
 */
export class LinkedAbort {
  private readonly controller = new AbortController();
  private readonly onParentAbort: (() => void) | undefined;

  constructor(private readonly parent?: AbortSignal) {
    if (!parent) return;
    const onParentAbort = () => this.controller.abort(parent.reason);
    if (parent.aborted) onParentAbort();
    else parent.addEventListener('abort', (this.onParentAbort = onParentAbort), { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(reason?: unknown): void {
    this.controller.abort(reason);
  }

  release(): void {
    if (this.onParentAbort) this.parent!.removeEventListener('abort', this.onParentAbort);
  }
}
