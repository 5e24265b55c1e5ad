// The condition types and reasons segwatch reports (DESIGN.md "Status"). Reasons are CamelCase and
// stable: users and tools match on them.

export const ConditionType = {
  Ready: "Ready",
  SegmentsResolved: "SegmentsResolved",
  DeliveryReady: "DeliveryReady",
  Backfilled: "Backfilled",
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export const Reason = {
  // shared
  /** The spec breaks a rule of validation.ts; the message names the field. */
  InvalidSpec: "InvalidSpec",
  /** Ready of a Subscription when all its conditions are True. */
  Ready: "Ready",

  // Segment Ready
  Compiled: "Compiled",
  InvalidSegmentQL: "InvalidSegmentQL",
  IncludeNotFound: "IncludeNotFound",
  IncludeCycle: "IncludeCycle",
  /** An included segment (directly or not) does not compile. */
  IncludeInvalid: "IncludeInvalid",
  DuplicateSlug: "DuplicateSlug",

  // Subscription SegmentsResolved
  Resolved: "Resolved",
  SegmentNotFound: "SegmentNotFound",
  /** The segment exists but is not Ready itself. */
  SegmentNotReady: "SegmentNotReady",
  /** `<subscription>-inline` exists and belongs to someone else. */
  InlineSegmentConflict: "InlineSegmentConflict",

  // Subscription DeliveryReady
  DeliveryConfigured: "DeliveryConfigured",
  SecretNotFound: "SecretNotFound",
  InvalidSecret: "InvalidSecret",
  ConsumerError: "ConsumerError",
  DeliveryFailing: "DeliveryFailing",

  // Subscription Backfilled
  NotRequested: "NotRequested",
  Pending: "Pending",
  Running: "Running",
  Complete: "Complete",
  Failed: "Failed",

  // ProfileSchema Ready
  Valid: "Valid",
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];
