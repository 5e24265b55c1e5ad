// Per-user order across a subscription's two delivery lanes. The backfill lane is paced, the live lane
// is not: a live change of a user whose backfill enter still waits in the backfill lane would overtake
// it. So while a user has a message in the backfill lane that may be undelivered, their later
// messages for that subscription go to the backfill lane too, behind it (the lane keeps per-user
// order). "May be undelivered" is decided exactly, without clocks: the profile keeps the stream
// sequence of its newest backfill-lane message (Profile.backfillSeq), the delivery worker reports how
// far the lane has delivered (its consumer's ack floor, KV key statusKey.backfillDelivered). A stale
// (lower) report only keeps the user in the backfill lane longer.

import type { Lane } from "../nats/names.ts";

export interface LaneDecision {
  readonly lane: Lane;
  /** The profile's backfillSeq entry is done with (everything up to it delivered): drop it. */
  readonly forget: boolean;
}

/**
 * The lane of a live message for (subscription, user).
 * @param backfillSeq the user's newest backfill-lane message for the subscription, if any is kept
 * @param delivered the highest sequence up to which the subscription's backfill lane is delivered
 */
export function laneForLive(backfillSeq: number | undefined, delivered: number): LaneDecision {
  if (backfillSeq === undefined) return { lane: "live", forget: false };
  if (backfillSeq > delivered) return { lane: "backfill", forget: false };
  return { lane: "live", forget: true };
}
