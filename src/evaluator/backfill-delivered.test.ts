import { describe, expect, it } from "vitest";
import { statusKey } from "../nats/names.ts";
import { BackfillDeliveredView } from "./backfill-delivered.ts";

const key = statusKey.backfillDelivered("acme", "sub1");
const put = (k: string, value: unknown) => ({
  key: k,
  operation: "PUT" as const,
  json: <T>() => value as T,
});

describe("BackfillDeliveredView", () => {
  it("reads a subscription's delivered sequence, 0 until one is written", () => {
    const view = new BackfillDeliveredView();
    expect(view.delivered("acme", "sub1")).toBe(0);
    view.apply(put(key, { seq: 42 }));
    expect(view.delivered("acme", "sub1")).toBe(42);
    expect(view.delivered("acme", "sub2")).toBe(0);
    expect(view.delivered("other", "sub1")).toBe(0);
  });

  it("forgets a deleted or unreadable value (0 is the safe answer)", () => {
    const view = new BackfillDeliveredView();
    view.apply(put(key, { seq: 42 }));
    view.apply({ key, operation: "DEL", json: () => ({}) as never });
    expect(view.delivered("acme", "sub1")).toBe(0);
    view.apply(put(key, { seq: 42 }));
    view.apply(put(key, { seq: "many" }));
    expect(view.delivered("acme", "sub1")).toBe(0);
  });

  it("ignores other keys", () => {
    const view = new BackfillDeliveredView();
    view.apply(put(`${statusKey.subscription("acme", "sub1")}.backfill.0`, { seq: 7 }));
    expect(view.delivered("acme", "sub1")).toBe(0);
  });
});
