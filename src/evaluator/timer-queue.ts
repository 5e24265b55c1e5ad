// Per-user timers for time-dependent segments: a min-heap of (instant, profile) with one live entry
// per profile — rescheduling replaces the earlier entry (stale heap entries are skipped on pop).

export interface TimerEntry {
  readonly at: number;
  readonly namespace: string;
  readonly profileKey: string;
}

export class TimerQueue {
  private heap: TimerEntry[] = [];
  /** The live instant per profile; heap entries that disagree are stale. */
  private readonly live = new Map<string, number>();

  get size(): number {
    return this.live.size;
  }

  /** Schedules (or reschedules, or with undefined cancels) the profile's timer. */
  set(namespace: string, profileKey: string, at: number | undefined): void {
    const id = `${namespace}/${profileKey}`;
    if (at === undefined) {
      this.live.delete(id);
      return;
    }
    if (this.live.get(id) === at) return;
    this.live.set(id, at);
    this.push({ at, namespace, profileKey });
  }

  /** The earliest live instant, if any. */
  peek(): number | undefined {
    this.dropStale();
    return this.heap[0]?.at;
  }

  /** Removes and returns up to `limit` timers due at `now`. */
  popDue(now: number, limit: number): TimerEntry[] {
    const out: TimerEntry[] = [];
    while (out.length < limit) {
      this.dropStale();
      const top = this.heap[0];
      if (!top || top.at > now) break;
      this.pop();
      this.live.delete(`${top.namespace}/${top.profileKey}`);
      out.push(top);
    }
    return out;
  }

  private dropStale(): void {
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (this.live.get(`${top.namespace}/${top.profileKey}`) === top.at) return;
      this.pop();
    }
  }

  private push(e: TimerEntry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.at <= h[i]!.at) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l]!.at < h[m]!.at) m = l;
      if (r < h.length && h[r]!.at < h[m]!.at) m = r;
      if (m === i) return;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
  }
}
