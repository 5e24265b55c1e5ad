import { describe, expect, it } from "vitest";
import { segment, subscription } from "../../test/support/controller-fixtures.ts";
import type { Condition, Segment, Subscription } from "../resources/types.ts";
import {
  formatColumns,
  humanDuration,
  readyColumns,
  renderStatus,
  runStatus,
} from "./status-report.ts";

const now = Date.parse("2026-01-01T01:00:00Z");
const ready = (status: Condition["status"], reason: string, message = ""): Condition => ({
  type: "Ready",
  status,
  reason,
  message,
  lastTransitionTime: "2026-01-01T00:00:00Z",
  observedGeneration: 1,
});

function withStatus<T extends Segment | Subscription>(r: T, status: T["status"]): T {
  return { ...r, metadata: { ...r.metadata, creationTimestamp: "2026-01-01T00:00:00Z" }, status };
}

const demo = withStatus(segment("demo-segment", 'FILTER paying_user = "t" ALIAS demo_segment'), {
  observedGeneration: 1,
  slug: "demo_segment",
  members: 1234,
  conditions: [ready("True", "Compiled", "compiled; reads 1 field")],
});
const bad = withStatus(segment("bad", "FILTER AND ("), {
  observedGeneration: 1,
  slug: "bad",
  conditions: [ready("False", "InvalidSegmentQL", "1:13: expected an expression")],
});
const hook = withStatus(subscription("webhooktest1"), {
  observedGeneration: 1,
  delivered: 10,
  failed: 2,
  deadLettered: 1,
  backfill: { state: "NotRequested" },
  conditions: [ready("True", "Ready")],
});

describe("renderStatus", () => {
  it("prints kubectl-like tables for one namespace", () => {
    expect(renderStatus([demo, bad], [hook], { namespace: "acme", now })).toEqual([
      "segments.segwatch.io:",
      "NAME           SLUG           READY   REASON             MEMBERS   AGE",
      "demo-segment   demo_segment   True    Compiled           1234      60m",
      "bad            bad            False   InvalidSegmentQL             60m",
      "",
      "subscriptions.segwatch.io:",
      "NAME           CHANNEL   SEGMENTS       READY   REASON   DELIVERED   FAILED   DEAD-LETTERED   BACKFILL       AGE",
      "webhooktest1   webhook   demo_segment   True    Ready    10          2        1               NotRequested   60m",
    ]);
  });

  it("adds NAMESPACE for all namespaces and MESSAGE when wide", () => {
    const lines = renderStatus([bad], [], { wide: true, now });
    expect(lines[1]).toBe(
      "NAMESPACE   NAME   SLUG   READY   REASON             MEMBERS   AGE   MESSAGE",
    );
    expect(lines[2]).toBe(
      "acme        bad    bad    False   InvalidSegmentQL             60m   1:13: expected an expression",
    );
    expect(lines.at(-1)).toBe("subscriptions.segwatch.io: no subscriptions in any namespace.");
  });

  it("shows Unknown before the controller has seen a resource or its current generation", () => {
    expect(readyColumns(undefined, undefined, 1)).toMatchObject({
      ready: "Unknown",
      reason: "Pending",
    });
    expect(readyColumns([ready("True", "Compiled")], 1, 2)).toMatchObject({
      ready: "Unknown",
      reason: "Reconciling",
    });
    const inline = renderStatus(
      [],
      [subscription("x", { segments: undefined, segmentql: "FILTER a = 1" })],
      {
        namespace: "acme",
        now,
      },
    );
    expect(inline[4]).toContain("(inline)");
    expect(inline[4]).toContain("Unknown   Pending");
  });
});

describe("runStatus", () => {
  it("reads through the source and prints the report", async () => {
    const lines: string[] = [];
    const source = {
      list: async (kind: string, namespace?: string) => {
        expect(namespace).toBe("acme");
        return kind === "Segment" ? [demo] : [hook];
      },
    } as unknown as Parameters<typeof runStatus>[0]["source"];
    expect(await runStatus({ source, namespace: "acme", out: (l) => lines.push(l), now })).toBe(0);
    expect(lines).toHaveLength(7);
  });
});

describe("formatting helpers", () => {
  it("pads all columns but the last", () => {
    expect(
      formatColumns([
        ["A", "BB", "C"],
        ["aaa", "b", ""],
      ]),
    ).toEqual(["A     BB   C", "aaa   b"]);
  });

  it("prints ages like kubectl", () => {
    const s = 1_000;
    const m = 60 * s;
    const h = 60 * m;
    const d = 24 * h;
    expect(
      [45 * s, 200 * s, 17 * m, 5 * h + 3 * m, 30 * h, 2 * d + 4 * h, 40 * d, 800 * d].map(
        humanDuration,
      ),
    ).toEqual(["45s", "3m20s", "17m", "5h3m", "30h", "2d4h", "40d", "2y70d"]);
  });
});
