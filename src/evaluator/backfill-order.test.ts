import { describe, expect, it } from "vitest";
import { laneForLive } from "./backfill-order.ts";

describe("laneForLive", () => {
  it("goes live when the user has nothing in the backfill lane", () => {
    expect(laneForLive(undefined, 0)).toEqual({ lane: "live", forget: false });
    expect(laneForLive(undefined, 100)).toEqual({ lane: "live", forget: false });
  });

  it("follows the backfill lane while the user's message there may be undelivered", () => {
    expect(laneForLive(42, 0)).toEqual({ lane: "backfill", forget: false });
    expect(laneForLive(42, 41)).toEqual({ lane: "backfill", forget: false });
  });

  it("goes live again, and forgets the sequence, once the lane delivered up to it", () => {
    expect(laneForLive(42, 42)).toEqual({ lane: "live", forget: true });
    expect(laneForLive(42, 1000)).toEqual({ lane: "live", forget: true });
  });
});
