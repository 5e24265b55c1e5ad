// Per-user order within a lane: a user's next message never starts while an earlier one is in flight
// or waiting to retry; other users go ahead. Each user has a FIFO; only its head is ever handed out.
// Heads that may start wait in one ready queue, oldest first, so users are served fairly. Pure.

/** A double-ended queue on a growable ring buffer: O(1) at both ends. */
export class Deque<T> {
  #buf: (T | undefined)[] = new Array(16);
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(v: T): void {
    if (this.#length === this.#buf.length) this.#grow();
    this.#buf[(this.#head + this.#length) % this.#buf.length] = v;
    this.#length++;
  }

  unshift(v: T): void {
    if (this.#length === this.#buf.length) this.#grow();
    this.#head = (this.#head - 1 + this.#buf.length) % this.#buf.length;
    this.#buf[this.#head] = v;
    this.#length++;
  }

  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const v = this.#buf[this.#head];
    this.#buf[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#buf.length;
    this.#length--;
    return v;
  }

  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#buf[this.#head];
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.#length; i++)
      yield this.#buf[(this.#head + i) % this.#buf.length] as T;
  }

  #grow(): void {
    const next = new Array<T | undefined>(this.#buf.length * 2);
    for (let i = 0; i < this.#length; i++) next[i] = this.#buf[(this.#head + i) % this.#buf.length];
    this.#buf = next;
    this.#head = 0;
  }
}

/** A misuse of the scheduler (completing an item that is not its user's active head). */
export class SchedulerStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SchedulerStateError";
  }
}

export class UserOrderScheduler<T> {
  readonly #userOf: (item: T) => string;
  /**
   * Per user, the messages in arrival order; the head is ready, active (in flight) or waiting to
   * retry. Plain arrays: a user rarely has more than a few messages held, and most have one.
   */
  readonly #queues = new Map<string, T[]>();
  readonly #ready = new Deque<T>();
  #held = 0;
  #active = 0;

  constructor(userOf: (item: T) => string) {
    this.#userOf = userOf;
  }

  /** Messages held: ready, active, waiting, or queued behind their user's head. */
  get held(): number {
    return this.#held;
  }

  /** Heads that may start now. */
  get readyCount(): number {
    return this.#ready.length;
  }

  /** Heads handed out by `take` and not yet completed (in flight or waiting to retry). */
  get activeCount(): number {
    return this.#active;
  }

  /** Users with at least one message held. */
  get users(): number {
    return this.#queues.size;
  }

  /** Adds a message in arrival order; it is ready at once when its user has nothing else held. */
  push(item: T): void {
    const user = this.#userOf(item);
    const q = this.#queues.get(user);
    this.#held++;
    if (q === undefined) {
      this.#queues.set(user, [item]);
      this.#ready.push(item);
    } else {
      q.push(item);
    }
  }

  /** Hands out up to `max` ready heads, oldest first; each stays its user's head until `complete`. */
  take(max: number): T[] {
    const out: T[] = [];
    while (out.length < max) {
      const item = this.#ready.shift();
      if (item === undefined) break;
      out.push(item);
    }
    this.#active += out.length;
    return out;
  }

  /** An active head (its retry is due) may start again: it goes first, ahead of younger heads. */
  requeue(item: T): void {
    this.#assertHead(item, "requeue");
    this.#active--;
    this.#ready.unshift(item);
  }

  /** An active head is finished (delivered or dead-lettered): its user's next message becomes ready. */
  complete(item: T): void {
    const user = this.#userOf(item);
    const q = this.#assertHead(item, "complete");
    this.#active--;
    this.#held--;
    if (q.length === 1) {
      this.#queues.delete(user);
      return;
    }
    q.shift();
    this.#ready.push(q[0]!);
  }

  /** Removes and returns every held message (for release on stop), in no particular order. */
  drain(): T[] {
    const out: T[] = [];
    for (const q of this.#queues.values()) for (const item of q) out.push(item);
    this.#queues.clear();
    while (this.#ready.shift() !== undefined) {}
    this.#held = 0;
    this.#active = 0;
    return out;
  }

  #assertHead(item: T, op: string): T[] {
    const q = this.#queues.get(this.#userOf(item));
    if (q === undefined || q[0] !== item) {
      throw new SchedulerStateError(`${op}: the item is not the head of its user's queue`);
    }
    return q;
  }
}
