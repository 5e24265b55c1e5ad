import { describe, expect, it } from "vitest";
import type { DeliveryOutcome } from "./channel.ts";
import { PutRecordsQueue } from "./kinesis-queue.ts";
import type { KinesisEntry } from "./kinesis-records.ts";
import { retry, SUCCESS } from "./outcome.ts";

const rec = (key: string, bytes = 10): KinesisEntry => ({
  partitionKey: key,
  data: new Uint8Array(bytes - key.length),
  bytes,
});

/** A send function whose calls the test answers. */
function calls() {
  const made: { keys: string[]; answer: (o: DeliveryOutcome[]) => void }[] = [];
  const send = (records: readonly KinesisEntry[]) =>
    new Promise<DeliveryOutcome[]>((resolve) =>
      made.push({ keys: records.map((r) => r.partitionKey), answer: resolve }),
    );
  return { made, send };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("PutRecordsQueue", () => {
  it("sends records handed over in one turn together, and waits while maxCalls are out", async () => {
    const { made, send } = calls();
    const q = new PutRecordsQueue({
      maxCalls: 1,
      limits: { maxRecordsPerCall: 500, maxBytesPerCall: 1_000 },
      send,
    });
    const first = [...q.add([rec("a")]), ...q.add([rec("b"), rec("c")])];
    await tick();
    expect(made.map((c) => c.keys)).toEqual([["a", "b", "c"]]);
    // While that call is out, later records wait, then leave together.
    const second = [...q.add([rec("d")]), ...q.add([rec("e")])];
    await tick();
    expect(made).toHaveLength(1);
    expect(q.waiting).toBe(2);
    made[0]!.answer([SUCCESS, retry("throttled"), SUCCESS]);
    expect(await Promise.all(first)).toEqual([SUCCESS, retry("throttled"), SUCCESS]);
    await tick();
    expect(made.map((c) => c.keys)).toEqual([
      ["a", "b", "c"],
      ["d", "e"],
    ]);
    made[1]!.answer([SUCCESS]); // one answer short: the other record is retried
    expect(await Promise.all(second)).toEqual([
      SUCCESS,
      retry("kinesis: no answer for this record"),
    ]);
    await q.whenIdle();
    expect(q.calls).toBe(0);
  });

  it("splits at the records and bytes limits, with up to maxCalls in flight", async () => {
    const { made, send } = calls();
    const q = new PutRecordsQueue({
      maxCalls: 2,
      limits: { maxRecordsPerCall: 2, maxBytesPerCall: 25 },
      send,
    });
    q.add([rec("a"), rec("b"), rec("c"), rec("d", 20), rec("e")]);
    await tick();
    expect(made.map((c) => c.keys)).toEqual([["a", "b"], ["c"]]);
    made[1]!.answer([SUCCESS]);
    await tick();
    expect(made.map((c) => c.keys)).toEqual([["a", "b"], ["c"], ["d"]]);
    made[0]!.answer([SUCCESS, SUCCESS]);
    await tick();
    expect(made.map((c) => c.keys).at(-1)).toEqual(["e"]);
  });

  it("turns a send that throws into retries", async () => {
    const q = new PutRecordsQueue({
      maxCalls: 1,
      limits: { maxRecordsPerCall: 1, maxBytesPerCall: 1_000 },
      send: () => Promise.reject(new Error("boom")),
    });
    const [a, b] = q.add([rec("a"), rec("b")]);
    expect(await a).toEqual(retry("kinesis: Error: boom"));
    expect(await b).toEqual(retry("kinesis: Error: boom"));
  });
});
