import { describe, expect, it } from "vitest";
import type { SegmentRecord, SubscriptionRecord } from "../controller/records.ts";
import { DELIVERY_DEFAULTS } from "../controller/records.ts";
import type { TriggerPayload } from "../delivery/envelope.ts";
import { mergeEvent, newProfile, type Profile, restoreProfile } from "../profile/profile.ts";
import { buildPayload, deliveriesFor, idempotencyKey, payloadJson } from "./deliveries.ts";
import { dueSegments, evaluateProfile, nextCheckOf } from "./evaluate.ts";
import { NamespaceModel } from "./model.ts";
import { TimerQueue } from "./timer-queue.ts";

const T0 = Date.parse("2026-03-10T12:00:00Z");
const seg = (id: string, slug: string, segmentql: string, generation = 1): SegmentRecord => ({
  id,
  namespace: "acme",
  name: slug.replaceAll("_", "-"),
  slug,
  segmentql,
  generation,
});
const sub = (
  id: string,
  segmentIds: string[],
  extra: Partial<SubscriptionRecord> = {},
): SubscriptionRecord => ({
  id,
  namespace: "acme",
  name: id,
  channel: "webhook",
  generation: 1,
  segmentIds,
  events: ["enter", "exit"],
  fields: [],
  delivery: DELIVERY_DEFAULTS,
  webhook: { url: "http://127.0.0.1/hook", headers: {}, signingSecrets: [] },
  ...extra,
});

function model(
  extra: {
    segments?: SegmentRecord[];
    subs?: SubscriptionRecord[];
    types?: Record<string, string>;
  } = {},
) {
  return new NamespaceModel(
    "acme",
    { namespace: "acme", identityFields: ["user_id"], fields: (extra.types ?? {}) as never },
    extra.segments ?? [seg("s1", "demo_segment", 'FILTER paying_user = "t" ALIAS demo_segment')],
    extra.subs ?? [sub("sub1", ["s1"])],
  );
}

function profileWith(fields: Record<string, unknown>, m = model()): Profile {
  const p = newProfile("k1", { field: "user_id", value: "user123" }, new Date(T0));
  mergeEvent(p, { user_id: "user123", ...fields }, m.types, new Date(T0));
  return p;
}

describe("merge and evaluate", () => {
  it("turns the brief's f → t → f into enter then exit, each once", () => {
    const m = model();
    const p = profileWith({ paying_user: "f" }, m);
    expect(evaluateProfile(m, p, { kind: "all" }, T0).transitions).toEqual([]);
    const changed = mergeEvent(p, { paying_user: "t" }, m.types, new Date(T0 + 1000)).changed;
    expect(changed).toEqual(["paying_user", "_modified"]);
    const enter = evaluateProfile(m, p, { kind: "fields", fields: changed }, T0 + 1000).transitions;
    expect(enter).toEqual([
      { segmentId: "s1", event: "enter", enter: "2026-03-10T12:00:01.000Z", exit: null },
    ]);
    expect(evaluateProfile(m, p, { kind: "all" }, T0 + 1500).transitions).toEqual([]);
    mergeEvent(p, { paying_user: "f" }, m.types, new Date(T0 + 2000));
    const exit = evaluateProfile(
      m,
      p,
      { kind: "fields", fields: ["paying_user"] },
      T0 + 2000,
    ).transitions;
    expect(exit).toEqual([
      {
        segmentId: "s1",
        event: "exit",
        enter: "2026-03-10T12:00:01.000Z",
        exit: "2026-03-10T12:00:02.000Z",
      },
    ]);
  });

  it("evaluates only the segments that read a changed field", () => {
    const m = model({
      segments: [seg("s1", "a", "FILTER a == 1"), seg("s2", "b", "FILTER b == 1")],
    });
    const p = profileWith({ a: 1, b: 1 }, m);
    const t = evaluateProfile(m, p, { kind: "fields", fields: ["a"] }, T0).transitions;
    expect(t.map((x) => x.segmentId)).toEqual(["s1"]);
  });

  it("coerces declared fields and rejects values that cannot be coerced", () => {
    const m = model({ types: { last_visit: "time", age: "int" } });
    const p = newProfile("k", { field: "user_id", value: "u" }, new Date(T0));
    const _r = mergeEvent(
      p,
      { last_visit: "2026-03-01T00:00:00Z", age: "42", bad: 1 },
      m.types,
      new Date(T0),
    );
    expect(p.fields.last_visit).toEqual(new Date("2026-03-01T00:00:00Z"));
    expect(p.fields.age).toBe(42);
    const bad = mergeEvent(p, { last_visit: "soon" }, m.types, new Date(T0));
    expect(bad.rejected).toEqual([{ field: "last_visit", reason: 'expected a date, got "soon"' }]);
    expect(p.fields.last_visit).toEqual(new Date("2026-03-01T00:00:00Z"));
    const stored = JSON.parse(JSON.stringify(p));
    expect(restoreProfile(stored, m.types).fields.last_visit).toEqual(
      new Date("2026-03-01T00:00:00Z"),
    );
  });

  it("keeps a time check for time-dependent segments and reports what is due", () => {
    const m = model({
      types: { last_visit: "time" },
      segments: [seg("s1", "recent", 'FILTER last_visit > "now-7d"')],
    });
    const p = profileWith({ last_visit: new Date(T0 - 2 * 86_400_000).toISOString() }, m);
    const e = evaluateProfile(m, p, { kind: "all" }, T0);
    expect(e.transitions.map((t) => t.event)).toEqual(["enter"]);
    expect(nextCheckOf(p)).toBe(T0 + 5 * 86_400_000);
    expect(dueSegments(p, T0 + 5 * 86_400_000)).toEqual(["s1"]);
    const exit = evaluateProfile(m, p, { kind: "segments", ids: ["s1"] }, T0 + 5 * 86_400_000);
    expect(exit.transitions.map((t) => t.event)).toEqual(["exit"]);
    expect(nextCheckOf(p)).toBeUndefined();
  });

  it("drops memberships of segments that no longer exist, without a transition", () => {
    const p = profileWith({ paying_user: "t" });
    evaluateProfile(model(), p, { kind: "all" }, T0);
    expect(Object.keys(p.segments)).toEqual(["s1"]);
    const without = model({ segments: [seg("s2", "b", "FILTER b == 1")] });
    expect(evaluateProfile(without, p, { kind: "all" }, T0).transitions).toEqual([]);
    expect(p.segments).toEqual({});
  });

  it("leaves that cleanup to the re-evaluation scan that names the deleted segment, not to events", () => {
    const p = profileWith({ paying_user: "t" });
    evaluateProfile(model(), p, { kind: "all" }, T0);
    const without = model({ segments: [seg("s2", "b", "FILTER b == 1")] });
    evaluateProfile(without, p, { kind: "fields", fields: ["b"] }, T0);
    expect(Object.keys(p.segments)).toEqual(["s1"]);
    const scan = evaluateProfile(without, p, { kind: "segments", ids: ["s1"] }, T0);
    expect(scan.transitions).toEqual([]);
    expect(p.segments).toEqual({});
  });
});

describe("deliveries", () => {
  it("makes one message per subscription and change, in the brief's v2 shape", () => {
    const m = model({
      segments: [
        seg("s1", "demo_segment", 'FILTER paying_user = "t"'),
        seg("s2", "another_segment", 'FILTER email CONTAINS "@"'),
      ],
      subs: [sub("sub1", ["s1", "s2"]), sub("sub2", ["s2"], { events: ["exit"] })],
    });
    const p = profileWith({ paying_user: "t", email: "a@x.test" }, m);
    const t = evaluateProfile(m, p, { kind: "all" }, T0).transitions;
    const out = deliveriesFor(m, p, t, { kind: "event", seq: 42 });
    expect(out).toHaveLength(1);
    const [d] = out;
    const payload = JSON.parse(d!.body) as TriggerPayload;
    expect(d!.subject).toBe("segwatch.deliver.webhook.sub1.live");
    expect(d!.envelope).toEqual({
      msgId: "ev:42:sub1",
      namespace: "acme",
      subscriptionId: "sub1",
      userKey: "k1",
      lane: "live",
    });
    expect(payload.meta).toEqual({
      object: "user",
      source: "subscription",
      subscription_id: "sub1",
    });
    expect(payload.data).toMatchObject({
      user_id: "user123",
      paying_user: "t",
      _created: expect.any(String),
      _modified: expect.any(String),
    });
    expect(payload.data.segment_events.map((e) => `${e.slug}:${e.event}`)).toEqual([
      "demo_segment:enter",
      "another_segment:enter",
    ]);
  });

  it("writes the same JSON as stringifying buildPayload, without copying the fields", () => {
    const events = [
      { id: "s1", event: "enter", enter: "2026-01-01T00:00:00.000Z", exit: null, slug: "a" },
    ] as const;
    const profiles = [
      profileWith({}),
      profileWith({ paying_user: "t", "7": "integer-like keys come first", nested: { a: [1] } }),
      profileWith({ segment_events: "a field of that name is replaced by the events" }),
      profileWith({ quote: 'say "hi"\n', emoji: "😀" }),
    ];
    const subs = [sub("s", ["s1"]), sub("s", ["s1"], { fields: ["paying_user"] })];
    for (const p of profiles)
      for (const s of subs) {
        const shared = {};
        const first = payloadJson(p, s, events, shared);
        expect(first).toBe(JSON.stringify(buildPayload(p, s, events)));
        // The second subscription of the same change reuses the fields' JSON.
        expect(payloadJson(p, s, events, shared)).toBe(first);
      }
  });

  it("sends only the subscription's fields, plus the identity and timestamps", () => {
    const p = profileWith({ paying_user: "t", secret: "x", plan: "pro" });
    const payload = buildPayload(p, sub("s", ["s1"], { fields: ["plan"] }), []);
    expect(Object.keys(payload.data).sort()).toEqual([
      "_created",
      "_modified",
      "plan",
      "segment_events",
      "user_id",
    ]);
  });

  it("names idempotency keys by cause", () => {
    expect(idempotencyKey({ kind: "event", seq: 7 }, "k", "s")).toBe("ev:7:s");
    expect(idempotencyKey({ kind: "timer", at: 5 }, "k", "s")).toBe("tm:k:5:s");
    expect(idempotencyKey({ kind: "scan", version: "v" }, "k", "s")).toBe("sc:k:v:s");
    expect(idempotencyKey({ kind: "backfill", requestedAt: "r" }, "k", "s")).toBe("bf:s:r:k");
  });
});

describe("NamespaceModel", () => {
  it("reports which segments changed meaning, including through INCLUDE", () => {
    const a = seg("a", "base", "FILTER x == 1");
    const b = seg("b", "wrapper", "FILTER INCLUDE base AND y == 2");
    const c = seg("c", "other", "FILTER z == 3");
    const before = model({ segments: [a, b, c] });
    const after = model({ segments: [{ ...a, segmentql: "FILTER x == 2" }, b, c] });
    expect(after.changedSegments(before).sort()).toEqual(["a", "b"]);
    expect(model({ segments: [a, b] }).changedSegments(before)).toEqual(["c"]);
    expect(after.changedSegments(undefined).sort()).toEqual(["a", "b", "c"]);
  });

  it("keeps segments that fail to compile out of evaluation, with the reason", () => {
    const m = model({ segments: [seg("bad", "bad", "FILTER INCLUDE nowhere")] });
    expect(m.segments.size).toBe(0);
    expect(m.problems[0]!.error).toMatch(/unknown segment "nowhere"/);
  });
});

describe("TimerQueue", () => {
  it("pops due timers in order, one live timer per profile", () => {
    const q = new TimerQueue();
    q.set("ns", "a", 30);
    q.set("ns", "b", 10);
    q.set("ns", "c", 20);
    q.set("ns", "a", 5);
    q.set("ns", "c", undefined);
    expect(q.peek()).toBe(5);
    expect(q.popDue(15, 10).map((t) => t.profileKey)).toEqual(["a", "b"]);
    expect(q.popDue(100, 10)).toEqual([]);
    expect(q.size).toBe(0);
  });
});
