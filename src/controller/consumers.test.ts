import { describe, expect, it } from "vitest";
import { parseConsumerName } from "./consumers.ts";

const id = "0123456789abcdef0123456789abcdef";

describe("parseConsumerName", () => {
  it("recognises only segwatch's delivery consumers", () => {
    expect(parseConsumerName(`deliver-${id}-live`)).toEqual({ subscriptionId: id, lane: "live" });
    expect(parseConsumerName(`deliver-${id}-backfill`)).toEqual({
      subscriptionId: id,
      lane: "backfill",
    });
    expect(parseConsumerName(`deliver-${id}-other`)).toBeUndefined();
    expect(parseConsumerName("deliver-xyz-live")).toBeUndefined();
    expect(parseConsumerName("someone-elses")).toBeUndefined();
  });
});
