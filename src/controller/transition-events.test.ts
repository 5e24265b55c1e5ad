import { describe, expect, it } from "vitest";
import type { Condition } from "../resources/types.ts";
import { readyTransition } from "./transition-events.ts";

const ready = (
  status: Condition["status"],
  reason: string,
  message = "",
  observedGeneration = 1,
): Condition[] => [
  { type: "Ready", status, reason, message, lastTransitionTime: "t", observedGeneration },
];

describe("readyTransition", () => {
  it("reports becoming Ready, first time or after failing", () => {
    expect(readyTransition("Segment", undefined, ready("True", "Compiled"))).toEqual({
      type: "Normal",
      reason: "Ready",
      note: "Segment is ready",
    });
    expect(
      readyTransition(
        "Segment",
        ready("False", "InvalidSegmentQL", "x"),
        ready("True", "Compiled"),
      ),
    ).toMatchObject({ type: "Normal", reason: "Ready" });
  });

  it("reports failures as warnings with the condition's reason and message", () => {
    expect(
      readyTransition(
        "Segment",
        undefined,
        ready("False", "InvalidSegmentQL", "line 1:8: unexpected token"),
      ),
    ).toEqual({ type: "Warning", reason: "InvalidSegmentQL", note: "line 1:8: unexpected token" });
    expect(
      readyTransition(
        "Subscription",
        ready("True", "Ready"),
        ready("False", "DeliveryFailing", "HTTP 500"),
      ),
    ).toEqual({ type: "Warning", reason: "DeliveryFailing", note: "HTTP 500" });
  });

  it("reports a change of failure reason", () => {
    expect(
      readyTransition(
        "Subscription",
        ready("False", "SegmentNotFound", "a"),
        ready("False", "SecretNotFound", "b"),
      ),
    ).toMatchObject({ reason: "SecretNotFound" });
  });

  it("stays quiet in a steady state, however the message changes", () => {
    expect(readyTransition("Segment", ready("True", "Compiled"), ready("True", "Compiled"))).toBe(
      undefined,
    );
    expect(
      readyTransition(
        "Subscription",
        ready("False", "DeliveryFailing", "HTTP 500"),
        ready("False", "DeliveryFailing", "HTTP 502"),
      ),
    ).toBe(undefined);
    expect(readyTransition("Segment", undefined, ready("Unknown", "Pending"))).toBe(undefined);
    expect(readyTransition("Segment", undefined, undefined)).toBe(undefined);
  });

  it("repeats a failure for a new generation (the user's edit is still wrong)", () => {
    expect(
      readyTransition(
        "Segment",
        ready("False", "InvalidSegmentQL", "1:3", 1),
        ready("False", "InvalidSegmentQL", "2:5", 2),
      ),
    ).toEqual({ type: "Warning", reason: "InvalidSegmentQL", note: "2:5" });
  });
});
