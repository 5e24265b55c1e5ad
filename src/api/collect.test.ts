import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eventSubject, HEADER } from "../nats/names.ts";
import { identityOf, partitionOf } from "../profile/identity.ts";
import { NOW, OTHER_TOKEN, type TestApi, TOKEN, testApi } from "./test-support.ts";

let t: TestApi;
beforeEach(async () => {
  t = await testApi({ partitions: 8, bodyLimit: 4096 });
});
afterEach(async () => {
  await t.close();
});

const post = (payload: string, opts: { headers?: Record<string, string>; url?: string } = {}) =>
  t.app.inject({
    method: "POST",
    url: opts.url ?? "/collect/json/demo",
    headers: { authorization: TOKEN, "content-type": "application/json", ...opts.headers },
    payload,
  });

describe("POST /collect/json/:stream", () => {
  it("publishes the event to its partition's subject with stream, time and user headers", async () => {
    const body = '{ "paying_user":"f", "user_id":"user123"}';
    const res = await post(body);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 200,
      message: "success",
      data: { accepted: 1, stream: "demo" },
    });
    const [m, ...rest] = t.publisher.published;
    expect(rest).toEqual([]);
    const key = identityOf({ user_id: "user123" }, ["user_id"])!.key;
    expect(m!.subject).toBe(eventSubject("acme", partitionOf(key, 8)));
    expect(m!.headers.get(HEADER.stream)).toBe("demo");
    expect(m!.headers.get(HEADER.receivedAt)).toBe(NOW.toISOString());
    expect(m!.headers.get(HEADER.user)).toBe(key);
    expect(Buffer.from(m!.data as Uint8Array).toString()).toBe(body);
  });

  it("publishes every event of an array and of NDJSON, in order", async () => {
    expect((await post('[{"user_id":"a","n":1},{"user_id":"b","n":2}]')).json().data.accepted).toBe(
      2,
    );
    const nd = await post('{"user_id":"c"}\n{"user_id":"a","n":3}\n', {
      headers: { "content-type": "application/x-ndjson" },
    });
    expect(nd.json().data.accepted).toBe(2);
    expect(t.publisher.published.map((m) => JSON.parse(String(m.data)))).toEqual([
      { user_id: "a", n: 1 },
      { user_id: "b", n: 2 },
      { user_id: "c" },
      { user_id: "a", n: 3 },
    ]);
    const subjects = t.publisher.published.map((m) => m.subject);
    expect(subjects[0]).toBe(subjects[3]);
  });

  it("takes the namespace's identity fields from the registry, in order", async () => {
    t.registry.identity.set("acme", ["email", "user_id"]);
    await post('{"user_id":"u1","email":"ann@example.com"}');
    const m = t.publisher.published[0]!;
    expect(m.headers.get(HEADER.user)).toBe(
      identityOf({ email: "ann@example.com" }, ["email"])!.key,
    );
    const res = await post('[{"email":"x@example.com"},{"anonymous_id":"z"}]');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: "missing_identity",
      message: expect.stringMatching(/^event 1 has no identity: looked for email, user_id/),
      errors: [{ event: 1, kind: "MissingIdentity" }],
    });
  });

  it("refuses a batch with an event without identity, publishing none of it", async () => {
    const res = await post('[{"user_id":"a"},{"user_id":""},{"user_id":7}]');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      status: 400,
      code: "missing_identity",
      errors: [{ event: 1, reason: expect.stringMatching(/looked for user_id/) }],
    });
    expect(t.publisher.published).toEqual([]);
  });

  it("says where bad JSON is broken, and refuses non-objects", async () => {
    const bad = await post('{"user_id": "a", }');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({
      code: "invalid_json",
      message: expect.stringMatching(/line 1, column 18/),
      errors: [{ line: 1, column: 18 }],
    });
    const scalar = await post("42");
    expect(scalar.json()).toMatchObject({
      code: "invalid_event",
      message: expect.stringMatching(/a number/),
    });
    expect((await post("")).json()).toMatchObject({ status: 400, code: "empty_body" });
    expect(t.publisher.published).toEqual([]);
  });

  it("reads bodies whatever their content type (curl -d sends form encoding)", async () => {
    for (const type of ["application/x-www-form-urlencoded", "text/plain"]) {
      const res = await post('{"user_id":"a"}', { headers: { "content-type": type } });
      expect(res.statusCode).toBe(200);
    }
    const res = await t.app.inject({
      method: "POST",
      url: "/collect/json/demo",
      headers: { authorization: TOKEN },
      payload: Buffer.from('{"user_id":"a"}'),
    });
    expect(res.statusCode).toBe(200);
  });

  it("answers 413 above the body limit, before publishing", async () => {
    const res = await post(JSON.stringify({ user_id: "a", pad: "x".repeat(5000) }));
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({
      status: 413,
      code: "payload_too_large",
      message: expect.stringMatching(/4096 bytes/),
    });
    expect(t.publisher.published).toEqual([]);
  });

  it("answers 503 when JetStream did not acknowledge, and counts the events rejected", async () => {
    t.publisher.failNext = true;
    const res = await post('[{"user_id":"a"},{"user_id":"b"}]');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      code: "publish_failed",
      message: expect.stringMatching(/did not acknowledge 2 of 2 events.*send it again/),
    });
    const metrics = await t.metrics.registry.metrics();
    expect(metrics).toMatch(
      /segwatch_collect_events_rejected_total\{namespace="acme",reason="publish_failed"\} 2/,
    );
  });

  it("refuses a stream name that is not a plain name", async () => {
    const res = await post('{"user_id":"a"}', { url: "/collect/json/bad%0Aname" });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: "validation_failed", errors: [{ field: "stream" }] });
  });

  it("needs a valid token, in Authorization (bare or Bearer) or ?key=", async () => {
    const payload = '{"user_id":"a"}';
    const noToken = await t.app.inject({ method: "POST", url: "/collect/json/demo", payload });
    expect(noToken.statusCode).toBe(401);
    expect(noToken.json()).toMatchObject({ status: 401, code: "unauthorized" });
    expect((await post(payload, { headers: { authorization: "nope" } })).statusCode).toBe(401);
    expect(
      (await post(payload, { headers: { authorization: `Bearer ${TOKEN}` } })).statusCode,
    ).toBe(200);
    const byKey = await t.app.inject({
      method: "POST",
      url: `/collect/json/demo?key=${TOKEN}`,
      headers: { "content-type": "application/json" },
      payload,
    });
    expect(byKey.statusCode).toBe(200);
    expect(t.publisher.published).toHaveLength(2);
  });

  it("keeps namespaces apart: the token decides the subject", async () => {
    await post('{"user_id":"a"}', { headers: { authorization: OTHER_TOKEN } });
    expect(t.publisher.published[0]!.subject).toMatch(/^segwatch\.events\.beta\.\d+$/);
  });

  it("counts accepted events per namespace", async () => {
    await post('[{"user_id":"a"},{"user_id":"b"},{"user_id":"c"}]');
    const metrics = await t.metrics.registry.metrics();
    expect(metrics).toMatch(/segwatch_collect_events_accepted_total\{namespace="acme"\} 3/);
    expect(metrics).toMatch(/segwatch_collect_publish_duration_seconds_count 1/);
  });
});
