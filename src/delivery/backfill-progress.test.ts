import { describe, expect, it } from "vitest";
import { deliveredSeq } from "./backfill-progress.ts";

describe("deliveredSeq", () => {
  it("is the ack floor while the lane has work", () => {
    expect(deliveredSeq({ ackFloor: 10, numPending: 3, numAckPending: 0 }, 50)).toBe(10);
    expect(deliveredSeq({ ackFloor: 10, numPending: 0, numAckPending: 2 }, 50)).toBe(10);
    expect(deliveredSeq({ ackFloor: 10, numPending: 3, numAckPending: 2 }, undefined)).toBe(10);
  });

  it("is the stream's last sequence read before, once the lane has nothing pending or unacked", () => {
    expect(deliveredSeq({ ackFloor: 10, numPending: 0, numAckPending: 0 }, 50)).toBe(50);
  });

  it("never goes below the ack floor, and without a stream reading stays at it", () => {
    expect(deliveredSeq({ ackFloor: 60, numPending: 0, numAckPending: 0 }, 50)).toBe(60);
    expect(deliveredSeq({ ackFloor: 10, numPending: 0, numAckPending: 0 }, undefined)).toBe(10);
  });
});
