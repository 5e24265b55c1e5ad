import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Deque, SchedulerStateError, UserOrderScheduler } from "./scheduler.ts";

interface Msg {
  readonly user: string;
  readonly seq: number;
}
const m = (user: string, seq: number): Msg => ({ user, seq });
const sched = () => new UserOrderScheduler<Msg>((x) => x.user);
const seqs = (xs: Msg[]) => xs.map((x) => x.seq);

describe("Deque", () => {
  it("works at both ends across growth", () => {
    const d = new Deque<number>();
    for (let i = 0; i < 40; i++) d.push(i);
    for (let i = 1; i <= 5; i++) d.unshift(-i);
    expect(d.length).toBe(45);
    expect([...d].slice(0, 6)).toEqual([-5, -4, -3, -2, -1, 0]);
    expect(d.shift()).toBe(-5);
    expect(d.peek()).toBe(-4);
    const rest: number[] = [];
    for (let v = d.shift(); v !== undefined; v = d.shift()) rest.push(v);
    expect(rest).toHaveLength(44);
    expect(d.shift()).toBeUndefined();
  });
});

describe("UserOrderScheduler", () => {
  it("hands out one message per user at a time, other users proceed", () => {
    const s = sched();
    s.push(m("a", 1));
    s.push(m("a", 2));
    s.push(m("b", 3));
    s.push(m("a", 4));
    s.push(m("c", 5));
    const first = s.take(10);
    expect(seqs(first)).toEqual([1, 3, 5]);
    expect(s.take(10)).toEqual([]);
    expect(s.held).toBe(5);
    expect(s.activeCount).toBe(3);
    s.complete(first[0]!);
    expect(seqs(s.take(10))).toEqual([2]);
  });

  it("respects the limit and serves the oldest ready head first", () => {
    const s = sched();
    for (let i = 1; i <= 5; i++) s.push(m(`u${i}`, i));
    expect(seqs(s.take(2))).toEqual([1, 2]);
    expect(seqs(s.take(2))).toEqual([3, 4]);
    expect(s.readyCount).toBe(1);
  });

  it("keeps a retrying head blocking its user until it is done", () => {
    const s = sched();
    s.push(m("a", 1));
    s.push(m("a", 2));
    s.push(m("b", 3));
    const [a1, b3] = s.take(2);
    // a1 failed and waits to retry: nothing of a may start, b proceeds.
    s.complete(b3!);
    expect(s.take(10)).toEqual([]);
    s.requeue(a1!);
    expect(s.take(10)).toEqual([a1]);
    s.complete(a1!);
    expect(seqs(s.take(10))).toEqual([2]);
  });

  it("puts a due retry ahead of younger heads", () => {
    const s = sched();
    s.push(m("a", 1));
    const [a1] = s.take(1);
    s.push(m("b", 2));
    s.push(m("c", 3));
    s.requeue(a1!);
    expect(seqs(s.take(1))).toEqual([1]);
  });

  it("refuses to complete or requeue what is not an active head", () => {
    const s = sched();
    s.push(m("a", 1));
    s.push(m("a", 2));
    expect(() => s.complete(m("a", 2))).toThrow(SchedulerStateError);
    expect(() => s.requeue(m("z", 9))).toThrow(SchedulerStateError);
  });

  it("drains everything held", () => {
    const s = sched();
    for (let i = 0; i < 6; i++) s.push(m(i % 2 ? "a" : "b", i));
    s.take(1);
    expect(seqs(s.drain()).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect([s.held, s.activeCount, s.readyCount, s.users]).toEqual([0, 0, 0, 0]);
  });

  it("never runs two messages of a user at once, and runs each user's in order (property)", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("push" as const), user: fc.constantFrom("a", "b", "c", "d") }),
      fc.record({ kind: fc.constant("take" as const), n: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ kind: fc.constant("finish" as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant("retry" as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const s = sched();
        let seq = 0;
        const active: Msg[] = [];
        const waiting: Msg[] = [];
        const done = new Map<string, number[]>();
        const pushed = new Map<string, number[]>();
        const runStep = (o: (typeof ops)[number]) => {
          if (o.kind === "push") {
            const x = m(o.user, seq++);
            pushed.set(x.user, [...(pushed.get(x.user) ?? []), x.seq]);
            s.push(x);
          } else if (o.kind === "take") {
            for (const x of s.take(o.n)) {
              expect(active.some((y) => y.user === x.user)).toBe(false);
              expect(waiting.some((y) => y.user === x.user)).toBe(false);
              active.push(x);
            }
          } else if (o.kind === "retry" && active.length > 0) {
            const [x] = active.splice(o.pick % active.length, 1);
            waiting.push(x!);
          } else if (o.kind === "finish" && active.length + waiting.length > 0) {
            const pool = o.pick % 2 && waiting.length ? waiting : active.length ? active : waiting;
            const [x] = pool.splice(o.pick % pool.length, 1);
            if (pool === waiting) {
              s.requeue(x!);
              return;
            }
            s.complete(x!);
            done.set(x!.user, [...(done.get(x!.user) ?? []), x!.seq]);
          }
        };
        for (const o of ops) runStep(o);
        // Finish everything: every user's messages complete in push order.
        for (;;) {
          for (const x of waiting.splice(0)) s.requeue(x);
          const xs = [...active.splice(0), ...s.take(Number.MAX_SAFE_INTEGER)];
          if (xs.length === 0) break;
          for (const x of xs) {
            s.complete(x);
            done.set(x.user, [...(done.get(x.user) ?? []), x.seq]);
          }
        }
        expect(s.held).toBe(0);
        expect(done).toEqual(pushed);
      }),
    );
  });
});
