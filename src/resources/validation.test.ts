import { describe, expect, it } from "vitest";
import type { SubscriptionSpec } from "./types.ts";
import {
  parseDuration,
  validateName,
  validateProfileSchema,
  validateSegmentSpec,
  validateSubscriptionSpec,
} from "./validation.ts";

const webhook = (extra: Partial<SubscriptionSpec> = {}): SubscriptionSpec => ({
  channel: "webhook",
  segments: ["demo_segment"],
  webhook: { url: "https://example.com/hook" },
  ...extra,
});
const paths = (spec: SubscriptionSpec) =>
  validateSubscriptionSpec(spec).map((e) => `${e.path}:${e.code}`);

describe("validateSubscriptionSpec", () => {
  it("accepts the brief's subscriptions", () => {
    expect(paths(webhook())).toEqual([]);
    expect(
      paths({
        channel: "kinesis",
        segments: ["1234abcd", "abc345"],
        kinesis: {
          region: "us-east-1",
          stream: "lytics_triggers_stream",
          identifierField: "user_id",
          roleArn: "arn:aws:iam::444444444444:role/LyticsWriteToKinesis",
        },
      }),
    ).toEqual([]);
    expect(
      paths({
        channel: "webhook",
        segmentql: "FILTER AND ( score_momentum > 25, score_quantity > 25 ) ALIAS seg_webhook1",
        webhook: { url: "https://x.test/" },
      }),
    ).toEqual([]);
  });

  it("names the field and the reason for each mistake", () => {
    expect(paths(webhook({ segments: ["a", "b"], withBackfill: true }))).toEqual([
      "spec.withBackfill:Invalid",
    ]);
    expect(
      validateSubscriptionSpec(webhook({ segments: ["a", "b"], withBackfill: true }))[0]!.reason,
    ).toBe("backfill needs exactly one segment, got 2");
    expect(paths({ channel: "webhook", segments: ["a"] })).toEqual(["spec.webhook:Required"]);
    expect(paths(webhook({ webhook: { url: "ftp://x" } }))).toEqual(["spec.webhook.url:Invalid"]);
    expect(paths(webhook({ kinesis: { region: "r", stream: "s" } }))).toEqual([
      "spec.kinesis:Forbidden",
    ]);
    const kinesis = (k: Record<string, unknown>) =>
      paths({
        channel: "kinesis",
        segments: ["a"],
        kinesis: { region: "us-east-1", stream: "s", ...k } as never,
      });
    expect(kinesis({})).toEqual([]);
    expect(kinesis({ stream: "arn:aws:kinesis:eu-west-1:123456789012:stream/s-1" })).toEqual([]);
    expect(kinesis({ region: "Virginia", stream: "a/b" })).toEqual([
      "spec.kinesis.region:Invalid",
      "spec.kinesis.stream:Invalid",
    ]);
    expect(kinesis({ externalId: "x", identifierField: "" })).toEqual([
      "spec.kinesis.identifierField:Invalid",
      "spec.kinesis.externalId:Invalid",
    ]);
    expect(kinesis({ endpoint: "localhost:4566" })).toEqual(["spec.kinesis.endpoint:Invalid"]);
    expect(paths({ channel: "carrier-pigeon" as never, segments: ["a"] })).toEqual([
      "spec.channel:Invalid",
    ]);
    expect(paths(webhook({ segments: [] }))).toEqual(["spec.segments:Required"]);
    expect(paths(webhook({ segmentql: "FILTER x ==" }))).toEqual([
      "spec.segmentql:Forbidden",
      "spec.segmentql:InvalidSegmentQL",
    ]);
    expect(paths(webhook({ events: ["enter", "leave" as never] }))).toEqual([
      "spec.events:Invalid",
    ]);
    expect(paths(webhook({ delivery: { timeout: "15 seconds", maxAttempts: 0 } }))).toEqual([
      "spec.delivery.maxAttempts:Invalid",
      "spec.delivery.timeout:Invalid",
    ]);
    expect(
      paths(
        webhook({ webhook: { url: "https://x.test", headers: { "Bad Header": "x", ok: "a\nb" } } }),
      ),
    ).toEqual(["spec.webhook.headers.Bad Header:Invalid", "spec.webhook.headers.ok:Invalid"]);
  });

  it("reports a SegmentQL error with its position", () => {
    const [e] = validateSubscriptionSpec({
      channel: "webhook",
      segmentql: "FILTER AND ( x == 1,",
      webhook: { url: "https://x.test" },
    });
    expect(e!.reason).toMatch(/^1:21: /);
  });
});

describe("other validations", () => {
  it("segments, schemas and names", () => {
    expect(validateSegmentSpec({ segmentql: 'FILTER paying_user = "t"' })).toEqual([]);
    expect(validateSegmentSpec({ segmentql: "FILTER" })[0]!.code).toBe("InvalidSegmentQL");
    expect(validateSegmentSpec({ segmentql: "FILTER x == 1", slug: "Bad Slug" })[0]!.path).toBe(
      "spec.slug",
    );
    expect(
      validateProfileSchema("default", {
        identityFields: ["user_id", "email"],
        fields: { last_visit: "time" },
      }),
    ).toEqual([]);
    expect(
      validateProfileSchema("other", { fields: { x: "float128" } }).map((e) => e.path),
    ).toEqual(["metadata.name", "spec.fields.x"]);
    expect(validateName("webhooktest1")).toEqual([]);
    expect(validateName("Demo_Segment")[0]!.code).toBe("Invalid");
  });

  it("parses Go durations", () => {
    expect(parseDuration("1s")).toBe(1000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("10")).toBeUndefined();
    expect(parseDuration("-1s")).toBeUndefined();
  });
});
