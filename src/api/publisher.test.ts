import { headers } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { type EventMessage, EventsNotStoredError, WindowedPublisher } from "./publisher.ts";

const msg = (subject: string): EventMessage => ({ subject, data: "{}", headers: headers() });

/** A send whose acks the test releases by hand. */
function manualSend() {
  const sent: string[] = [];
  const pending: { subject: string; ack: () => void; fail: (e: Error) => void }[] = [];
  let maxActive = 0;
  let active = 0;
  const send = (subject: string) =>
    new Promise<unknown>((resolve, reject) => {
      sent.push(subject);
      active++;
      maxActive = Math.max(maxActive, active);
      pending.push({
        subject,
        ack: () => {
          active--;
          resolve({ seq: sent.length });
        },
        fail: (e) => {
          active--;
          reject(e);
        },
      });
    });
  return { send, sent, pending, maxActive: () => maxActive };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("WindowedPublisher", () => {
  it("sends a request's messages back to back and resolves when all are acked", async () => {
    const m = manualSend();
    const p = new WindowedPublisher(m.send, 10);
    let done = false;
    const result = p.publish([msg("a"), msg("b"), msg("c")]).then(() => {
      done = true;
    });
    await tick();
    expect(m.sent).toEqual(["a", "b", "c"]);
    expect(p.inFlight()).toBe(3);
    m.pending[0]!.ack();
    m.pending[2]!.ack();
    await tick();
    expect(done).toBe(false);
    m.pending[1]!.ack();
    await result;
    expect(p.inFlight()).toBe(0);
  });

  it("never has more than the window in flight, across requests, first come first served", async () => {
    const m = manualSend();
    const p = new WindowedPublisher(m.send, 2);
    const first = p.publish([msg("a1"), msg("a2"), msg("a3")]);
    const second = p.publish([msg("b1")]);
    await tick();
    expect(m.sent).toEqual(["a1", "a2"]);
    m.pending[0]!.ack();
    await tick();
    expect(m.sent).toEqual(["a1", "a2", "a3"]);
    m.pending[1]!.ack();
    await tick();
    expect(m.sent).toEqual(["a1", "a2", "a3", "b1"]);
    m.pending[2]!.ack();
    m.pending[3]!.ack();
    await Promise.all([first, second]);
    expect(m.maxActive()).toBe(2);
    expect(p.inFlight()).toBe(0);
  });

  it("starts the requests of one event-loop turn together, so they share a socket write", async () => {
    const m = manualSend();
    const p = new WindowedPublisher(m.send, 10);
    const all = [p.publish([msg("a")]), p.publish([msg("b"), msg("c")])];
    expect(m.sent).toEqual([]);
    await tick();
    expect(m.sent).toEqual(["a", "b", "c"]);
    for (const x of m.pending) x.ack();
    await Promise.all(all);
  });

  it("rejects with the number of messages not stored, after all settled", async () => {
    const m = manualSend();
    const p = new WindowedPublisher(m.send, 10);
    const result = p.publish([msg("a"), msg("b"), msg("c")]);
    await tick();
    m.pending[0]!.fail(new Error("no responders"));
    m.pending[1]!.ack();
    m.pending[2]!.fail(new Error("timeout"));
    const err = await result.catch((e) => e);
    expect(err).toBeInstanceOf(EventsNotStoredError);
    expect(err).toMatchObject({ failed: 2, total: 3 });
    expect(err.message).toMatch(/2 of 3 events: no responders/);
    expect(p.inFlight()).toBe(0);
  });

  it("turns a send that throws into a rejection", async () => {
    const p = new WindowedPublisher(() => {
      throw new Error("connection closed");
    }, 4);
    await expect(p.publish([msg("a")])).rejects.toThrow(/1 of 1 events: connection closed/);
    expect(p.inFlight()).toBe(0);
  });

  it("close waits for the publishes in flight", async () => {
    const m = manualSend();
    let closed = false;
    const p = new WindowedPublisher(m.send, 4, () => {
      closed = true;
    });
    const published = p.publish([msg("a")]);
    const closing = p.close();
    await tick();
    await tick();
    expect(closed).toBe(false);
    m.pending[0]!.ack();
    await Promise.all([published, closing]);
    expect(closed).toBe(true);
  });
});
