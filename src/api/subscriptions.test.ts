import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { API_VERSION, type Subscription } from "../resources/types.ts";
import { ANNOTATION, credentialsSecretName } from "./defaults.ts";
import { subscriptionResourceName } from "./subscription-mapping.ts";
import { auth, NOW, OTHER_TOKEN, type TestApi, TOKEN, testApi } from "./test-support.ts";

let t: TestApi;
beforeEach(async () => {
  t = await testApi();
});
afterEach(async () => {
  await t.close();
});

const postSub = (body: unknown, token = TOKEN) =>
  t.app.inject({
    method: "POST",
    url: "/api/subscription",
    headers: { authorization: token, "content-type": "application/json" },
    payload: typeof body === "string" ? body : JSON.stringify(body),
  });

const segment = async (ql: string) =>
  (
    await t.app.inject({
      method: "POST",
      url: "/api/segment",
      headers: { ...auth, "content-type": "text/plain" },
      payload: ql,
    })
  ).json().data as { id: string };

const WEBHOOK = {
  webhook_url: "https://somewebhook.com/test",
  segment_ids: ["1234abcd"],
  withbackfill: false,
  channel: "webhook",
  name: "webhooktest1",
  description: "What is this subscription for?",
};

const KINESIS = {
  channel: "kinesis",
  segment_ids: ["1234abcd", "abc345"],
  name: "test2",
  description: "hello world",
  stream: "lytics_triggers_stream",
  region: "us-east-1",
  identifier_field: "user_id",
  role_arn: "arn:aws:iam::4444444444444:role/LyticsWriteToKinesis",
};

const EVENTHUB_CS =
  "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=abc=";
const EVENTHUB = {
  channel: "eventhub",
  segment_ids: ["1234abcd"],
  name: "hub1",
  eventhub_name: "triggers",
  connection_string: EVENTHUB_CS,
  partition_key_field: "email",
};

const INLINE = {
  segmentql: "FILTER AND ( score_momentum > 25, score_quantity > 25 ) ALIAS seg_webhook1",
  name: "test1",
  channel: "webhook",
  description: "hello world",
  webhook_url: "https://somewebhook.com/test",
  headers: { Authorization: "{API Token}", best_number: "47" },
};

const stored = (name: string) => t.source.get("Subscription", "acme", name);

describe("POST /api/subscription", () => {
  it("maps the brief's webhook JSON onto a Subscription and answers in the brief's shape", async () => {
    const seg = await segment('FILTER paying_user = "t" ALIAS demo_segment');
    const res = await postSub({ ...WEBHOOK, segment_ids: [seg.id] });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ status: 200, message: "success" });
    expect(body.data).toMatchObject({
      segment_ids: [seg.id],
      segmentql: 'FILTER paying_user = "t" ALIAS demo_segment',
      name: "webhooktest1",
      description: "What is this subscription for?",
      updated: NOW.toISOString(),
      account_id: "acme",
      workflow: "webhook_triggers",
      config: {
        channel: "webhook",
        name: "webhooktest1",
        description: "What is this subscription for?",
        segment_ids: [seg.id],
        withbackfill: false,
        webhook_url: "https://somewebhook.com/test",
      },
      status: { ready: false, state: "Pending", delivered: 0, backfill: "NotRequested" },
    });
    for (const f of ["id", "created", "user_id"]) expect(body.data[f]).toEqual(expect.any(String));
    expect(body.data.id).toMatch(/^[0-9a-f]{32}$/);
    expect((await stored("webhooktest1"))!.spec).toEqual({
      channel: "webhook",
      description: "What is this subscription for?",
      segments: [seg.id],
      withBackfill: false,
      webhook: { url: "https://somewebhook.com/test" },
    });
  });

  it("accepts segment references that do not resolve yet (the controller reports them)", async () => {
    const res = await postSub(WEBHOOK);
    expect(res.statusCode).toBe(200);
    expect(res.json().data.segment_ids).toEqual(["1234abcd"]);
  });

  it("maps the kinesis example", async () => {
    const res = await postSub(KINESIS);
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ workflow: "kinesis_triggers", config: KINESIS });
    expect((await stored("test2"))!.spec.kinesis).toEqual({
      region: "us-east-1",
      stream: "lytics_triggers_stream",
      roleArn: "arn:aws:iam::4444444444444:role/LyticsWriteToKinesis",
      identifierField: "user_id",
    });
  });

  it("keeps credential headers and the Segment write key in a Secret", async () => {
    const res = await postSub({ ...INLINE, segmentio_writekey: "wk-123" });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.config).toMatchObject({
      headers: { Authorization: "{API Token}", best_number: "47" },
      segmentio_writekey: "wk-123",
      segmentql: INLINE.segmentql,
    });
    const sub = (await stored("test1"))!;
    const secretName = credentialsSecretName("test1");
    expect(sub.spec.segmentql).toBe(INLINE.segmentql);
    expect(sub.spec.webhook).toEqual({
      url: "https://somewebhook.com/test",
      headers: { best_number: "47" },
      headersFrom: [
        { name: "Authorization", secretKeyRef: { name: secretName, key: "header.Authorization" } },
      ],
      segmentioWriteKeyRef: { name: secretName, key: "segmentio-writekey" },
    });
    expect(await t.source.readSecret("acme", secretName)).toEqual({
      "header.Authorization": "{API Token}",
      "segmentio-writekey": "wk-123",
    });
    // Reading it back shows the values again.
    const got = await t.app.inject({
      method: "GET",
      url: "/api/subscription/test1",
      headers: auth,
    });
    expect(got.json().data.config.headers).toEqual({
      Authorization: "{API Token}",
      best_number: "47",
    });
  });

  it("upserts by name: same id, new spec, updated annotation", async () => {
    const first = (await postSub(WEBHOOK)).json().data;
    const again = (await postSub(WEBHOOK)).json().data;
    expect(again.id).toBe(first.id);
    const changed = (
      await postSub({ ...WEBHOOK, webhook_url: "https://other.example/hook" })
    ).json().data;
    expect(changed.id).toBe(first.id);
    expect(changed.config.webhook_url).toBe("https://other.example/hook");
    expect(changed.status.generation).toBe(2);
    expect(await t.source.list("Subscription", "acme")).toHaveLength(1);
  });

  it("makes a resource name of any name, keeping the original", async () => {
    const res = await postSub({ ...WEBHOOK, name: "My Webhook #1" });
    expect(res.json().data).toMatchObject({ name: "My Webhook #1", resource_name: "my-webhook-1" });
    const sub = (await stored("my-webhook-1"))!;
    expect(sub.metadata.annotations![ANNOTATION.restName]).toBe("My Webhook #1");
    const byName = await t.app.inject({
      method: "GET",
      url: `/api/subscription/${encodeURIComponent("My Webhook #1")}`,
      headers: auth,
    });
    expect(byName.json().data.resource_name).toBe("my-webhook-1");
    // Another name that maps to the same resource name is a conflict, not an overwrite.
    const clash = await postSub({ ...WEBHOOK, name: "my webhook 1" });
    expect(clash.statusCode).toBe(409);
    expect(clash.json()).toMatchObject({ code: "conflict", errors: [{ field: "name" }] });
  });

  it.each([
    [
      "withbackfill with two segments",
      { ...WEBHOOK, segment_ids: ["a", "b"], withbackfill: true },
      "withbackfill",
      /exactly one segment, got 2/,
    ],
    [
      "webhook without webhook_url",
      { ...WEBHOOK, webhook_url: undefined },
      "webhook_url",
      /required/,
    ],
    [
      "a URL that is not http(s)",
      { ...WEBHOOK, webhook_url: "ftp://x" },
      "webhook_url",
      /not an http\(s\) URL/,
    ],
    [
      "neither segments nor segmentql",
      { ...WEBHOOK, segment_ids: undefined },
      "segment_ids",
      /segment_ids/,
    ],
    [
      "both segments and segmentql",
      { ...WEBHOOK, segmentql: "FILTER a = 1" },
      "segmentql",
      /either segment_ids or segmentql/,
    ],
    ["an unknown channel", { ...WEBHOOK, channel: "email" }, "channel", /one of webhook, kinesis/],
    ["kinesis without region", { ...KINESIS, region: undefined }, "region", /region is required/],
    ["a bad role ARN", { ...KINESIS, role_arn: "admin" }, "role_arn", /IAM role ARN/],
    ["a bad region", { ...KINESIS, region: "mars" }, "region", /not an AWS region/],
    ["a bad stream", { ...KINESIS, stream: "a stream" }, "stream", /stream name/],
    [
      "an external id without a role",
      { ...KINESIS, role_arn: undefined, external_id: "x" },
      "external_id",
      /only sent when a role is assumed/,
    ],
    [
      "a kinesis field on a webhook",
      { ...WEBHOOK, region: "us-east-1" },
      "region",
      /kinesis setting/,
    ],
    [
      "a header with a line break",
      { ...INLINE, headers: { "X-A": "1\r\nX-B: 2" } },
      "headers.X-A",
      /single-line/,
    ],
    [
      "events that are not enter/exit",
      { ...WEBHOOK, events: ["join"] },
      "events[0]",
      /must be one of enter, exit/,
    ],
  ])("400 for %s, naming %s", async (_what, body, field, reason) => {
    const res = await postSub(body);
    expect(res.statusCode).toBe(400);
    const err = res.json();
    expect(err.status).toBe(400);
    const problem = err.errors.find((e: { field: string }) => e.field === field);
    expect(problem, JSON.stringify(err)).toBeDefined();
    expect(problem.reason).toMatch(reason);
    expect(err.message).toContain(field);
    expect(await t.source.list("Subscription", "acme")).toEqual([]);
  });

  it("maps an event hub subscription, its connection string into the Secret", async () => {
    const res = await postSub(EVENTHUB);
    expect(res.statusCode).toBe(200);
    expect(res.json().data.config).toMatchObject(EVENTHUB);
    expect((await stored("hub1"))!.spec.eventHub).toEqual({
      eventHubName: "triggers",
      connectionStringSecretRef: { name: credentialsSecretName("hub1"), key: expect.any(String) },
      partitionKeyField: "email",
    });
    // A hub-scoped connection string names the hub by itself.
    const scoped = { ...EVENTHUB, eventhub_name: undefined };
    scoped.connection_string = `${EVENTHUB_CS};EntityPath=triggers`;
    expect((await postSub(scoped)).statusCode).toBe(200);
  });

  it.each([
    [
      "a connection string without a key",
      { ...EVENTHUB, connection_string: "Endpoint=sb://ns.servicebus.windows.net/" },
      "connection_string",
      /no SharedAccessKeyName/,
    ],
    [
      "a connection string that is not one",
      { ...EVENTHUB, connection_string: "hello" },
      "connection_string",
      /malformed/,
    ],
    [
      "a hub name that the EntityPath contradicts",
      { ...EVENTHUB, connection_string: `${EVENTHUB_CS};EntityPath=other` },
      "eventhub_name",
      /does not match the connection string's EntityPath "other"/,
    ],
    [
      "no hub name anywhere",
      { ...EVENTHUB, eventhub_name: undefined },
      "eventhub_name",
      /event hub name is required/,
    ],
    [
      "no connection string",
      { ...EVENTHUB, connection_string: undefined },
      "connection_string",
      /connection string is required/,
    ],
  ])("400 for an event hub with %s, naming %s", async (_what, body, field, reason) => {
    const res = await postSub(body);
    expect(res.statusCode).toBe(400);
    const problem = res.json().errors.find((e: { field: string }) => e.field === field);
    expect(problem, JSON.stringify(res.json())).toBeDefined();
    expect(problem.reason).toMatch(reason);
    expect(await t.source.list("Subscription", "acme")).toEqual([]);
  });

  it("400 for invalid segmentql, with line:column", async () => {
    const res = await postSub({ ...INLINE, segmentql: "FILTER AND (\n  score > \n) ALIAS x" });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: "invalid_segmentql",
      errors: [{ field: "segmentql", line: 3, kind: "InvalidSegmentQL" }],
    });
  });

  it("400 naming unknown fields, so a typo does not silently do nothing", async () => {
    const res = await postSub({ ...WEBHOOK, webhookurl: "x", with_backfill: true });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: "unknown_fields",
      message: "unknown fields webhookurl, with_backfill",
      errors: [
        { field: "webhookurl", kind: "Unknown" },
        { field: "with_backfill", kind: "Unknown" },
      ],
    });
  });

  it("400 for wrong types and missing required fields, without coercion", async () => {
    const res = await postSub({
      ...WEBHOOK,
      withbackfill: "true",
      segment_ids: "abc",
      name: undefined,
    });
    expect(res.statusCode).toBe(400);
    const fields = res
      .json()
      .errors.map((e: { field: string }) => e.field)
      .sort();
    expect(fields).toEqual(["name", "segment_ids", "withbackfill"]);
  });

  it("400 for bad JSON, saying where", async () => {
    const res = await postSub('{\n "channel": "webhook",\n "name": test\n}');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: "invalid_json", errors: [{ line: 3, column: 10 }] });
  });

  it("415 for a body that is not JSON", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/subscription",
      headers: { ...auth, "content-type": "text/xml" },
      payload: "<x/>",
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ code: "unsupported_media_type" });
  });
});

describe("GET and DELETE /api/subscription", () => {
  it("lists, optionally only those listening to a segment (by id or slug)", async () => {
    const seg = await segment("FILTER a = 1 ALIAS known_users_not_customer");
    await postSub({ ...WEBHOOK, name: "by-id", segment_ids: [seg.id] });
    await postSub({ ...WEBHOOK, name: "by-slug", segment_ids: ["known_users_not_customer"] });
    await postSub({ ...WEBHOOK, name: "other", segment_ids: ["1234abcd"] });
    await postSub({ ...WEBHOOK, name: "elsewhere" }, OTHER_TOKEN);
    const list = async (query = "") =>
      (await t.app.inject({ method: "GET", url: `/api/subscription${query}`, headers: auth }))
        .json()
        .data.map((d: { name: string }) => d.name);
    expect(await list()).toEqual(["by-id", "by-slug", "other"]);
    expect(await list("?segment_id=known_users_not_customer")).toEqual(["by-id", "by-slug"]);
    expect(await list(`?segment_id=${seg.id}`)).toEqual(["by-id", "by-slug"]);
    expect(await list("?segment_id=1234abcd")).toEqual(["other"]);
    expect(await list("?segment_id=nothing")).toEqual([]);
  });

  it("finds the inline segment's subscription by the inline segment's slug", async () => {
    await postSub(INLINE);
    await t.source.apply({
      apiVersion: API_VERSION,
      kind: "Segment",
      metadata: {
        name: "test1-inline",
        namespace: "acme",
        ownerReferences: [
          {
            apiVersion: API_VERSION,
            kind: "Subscription",
            name: "test1",
            uid: "u",
            controller: true,
          },
        ],
      },
      spec: { segmentql: INLINE.segmentql },
    });
    const res = await t.app.inject({
      method: "GET",
      url: "/api/subscription?segment_id=seg_webhook1",
      headers: auth,
    });
    const [only] = res.json().data;
    expect(only).toMatchObject({ name: "test1", segmentql: INLINE.segmentql });
    expect(only.segment_ids).toEqual([expect.stringMatching(/^[0-9a-f]{32}$/)]);
  });

  it("summarises the controller's status and counters", async () => {
    await postSub(WEBHOOK);
    await t.source.updateStatus("Subscription", "acme", "webhooktest1", {
      observedGeneration: 1,
      delivered: 5,
      failed: 1,
      deadLettered: 0,
      lastDeliveryTime: NOW.toISOString(),
      lastError: "503 from receiver",
      backfill: { state: "NotRequested" },
      conditions: [
        {
          type: "Ready",
          status: "False",
          reason: "SegmentNotFound",
          message: 'no segment named "1234abcd"',
          lastTransitionTime: NOW.toISOString(),
          observedGeneration: 1,
        },
      ],
    });
    const res = await t.app.inject({
      method: "GET",
      url: "/api/subscription/webhooktest1",
      headers: auth,
    });
    expect(res.json().data.status).toMatchObject({
      ready: false,
      state: "NotReady",
      reason: "SegmentNotFound",
      message: 'no segment named "1234abcd"',
      delivered: 5,
      failed: 1,
      dead_lettered: 0,
      last_delivery_time: NOW.toISOString(),
      last_error: "503 from receiver",
      backfill: "NotRequested",
    });
  });

  it("fetches by id or name, 404s otherwise and across namespaces", async () => {
    const { id } = (await postSub(WEBHOOK)).json().data;
    for (const ref of [id, "webhooktest1"]) {
      const res = await t.app.inject({
        method: "GET",
        url: `/api/subscription/${ref}`,
        headers: auth,
      });
      expect(res.json().data.id).toBe(id);
    }
    expect(
      (await t.app.inject({ method: "GET", url: "/api/subscription/nope", headers: auth }))
        .statusCode,
    ).toBe(404);
    const other = await t.app.inject({
      method: "GET",
      url: `/api/subscription/${id}`,
      headers: { authorization: OTHER_TOKEN },
    });
    expect(other.statusCode).toBe(404);
  });

  it("deletes, emptying its credentials Secret", async () => {
    const { id } = (await postSub(INLINE)).json().data;
    const res = await t.app.inject({
      method: "DELETE",
      url: `/api/subscription/${id}`,
      headers: auth,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ message: "deleted", data: { id, name: "test1" } });
    expect(await stored("test1")).toBeUndefined();
    expect(await t.source.readSecret("acme", credentialsSecretName("test1"))).toEqual({});
  });

  it("upserting without sensitive values empties the Secret after the resource stops using it", async () => {
    await postSub(INLINE);
    await postSub({ ...INLINE, headers: { best_number: "47" } });
    expect((await stored("test1"))!.spec.webhook).toEqual({
      url: "https://somewebhook.com/test",
      headers: { best_number: "47" },
    });
    expect(await t.source.readSecret("acme", credentialsSecretName("test1"))).toEqual({});
  });

  it("shows a subscription made with kubectl, whose values come from other Secrets", async () => {
    const sub: Subscription = {
      apiVersion: API_VERSION,
      kind: "Subscription",
      metadata: { name: "from-yaml", namespace: "acme" },
      spec: {
        channel: "webhook",
        segments: ["demo"],
        webhook: {
          url: "https://example.com/hook",
          headersFrom: [{ name: "X-Token", secretKeyRef: { name: "hook-auth", key: "token" } }],
        },
      },
    };
    await t.source.apply(sub);
    const res = await t.app.inject({
      method: "GET",
      url: "/api/subscription/from-yaml",
      headers: auth,
    });
    expect(res.json().data).toMatchObject({
      name: "from-yaml",
      user_id: "",
      config: { headers: { "X-Token": "secret:hook-auth/token" } },
    });
  });
});

describe("subscriptionResourceName", () => {
  it("keeps valid names and makes others valid, short enough for derived names", () => {
    expect(subscriptionResourceName("webhooktest1")).toBe("webhooktest1");
    expect(subscriptionResourceName("Test_2")).toBe("test-2");
    expect(subscriptionResourceName("--")).toMatch(/^subscription-[0-9a-f]{8}$/);
    const long = subscriptionResourceName("a".repeat(100));
    expect(long.length).toBeLessThanOrEqual(56);
    expect(long).not.toBe(subscriptionResourceName(`${"a".repeat(99)}b`));
  });
});

describe("query parameters", () => {
  it("refuses a misspelt one instead of ignoring it", async () => {
    const res = await t.app.inject({
      method: "GET",
      url: "/api/subscription?segmentid=x",
      headers: auth,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: "unknown_fields", errors: [{ field: "segmentid" }] });
  });
});
