import { describe, expect, it } from "vitest";
import { segment, subscription } from "../../test/support/controller-fixtures.ts";
import { isOrphan, parseRegistryKey } from "./garbage-collector.ts";
import { desiredInlineSegment, ownedBy, wantsInlineSegment } from "./inline-segment.ts";
import { parseKey } from "./reconcile.ts";

describe("inline segments and their owners", () => {
  const sub = subscription("hook", { segments: undefined, segmentql: 'FILTER a = "1"' });
  const inline = desiredInlineSegment(sub);

  it("is named <subscription>-inline and controlled by the subscription", () => {
    expect(wantsInlineSegment(sub)).toBe(true);
    expect(wantsInlineSegment(subscription("x"))).toBe(false);
    expect(inline.metadata.name).toBe("hook-inline");
    expect(inline.metadata.ownerReferences).toEqual([
      {
        apiVersion: "segwatch.io/v1alpha1",
        kind: "Subscription",
        name: "hook",
        uid: sub.metadata.uid,
        controller: true,
      },
    ]);
    expect(ownedBy(inline, sub)).toBe(true);
    expect(ownedBy(segment("hook-inline", "FILTER a = 1"), sub)).toBe(false);
  });

  it("is an orphan once its subscription is gone or was replaced under a new uid", () => {
    expect(isOrphan(inline, [sub])).toBe(false);
    expect(isOrphan(inline, [])).toBe(true);
    const replaced = { ...sub, metadata: { ...sub.metadata, uid: "another-uid" } };
    expect(isOrphan(inline, [replaced])).toBe(true);
    expect(isOrphan(segment("plain", "FILTER a = 1"), [])).toBe(false);
  });
});

describe("keys", () => {
  it("parses registry keys and work-queue keys", () => {
    expect(parseRegistryKey("segments.acme.abc")).toEqual({
      kind: "segments",
      namespace: "acme",
      id: "abc",
    });
    expect(parseRegistryKey("schemas.acme")).toBeUndefined();
    expect(parseKey("Segment/acme/demo")).toEqual({
      kind: "Segment",
      namespace: "acme",
      name: "demo",
    });
    expect(parseKey("Secret/acme/x")).toBeUndefined();
    expect(parseKey("Segment/acme")).toBeUndefined();
  });
});
