// The brief's curl sequence (shared reference/subscription-api.txt), over real HTTP on 127.0.0.1,
// with only the host changed: segment by text/plain, its id looked up by name as the brief's jq does,
// webhook and kinesis subscriptions by JSON, collect. Then the brief's other examples, and the
// controller picking up what the API wrote (status flowing back into the REST bodies).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningApi } from "../../src/api/app.ts";
import { runController } from "../../src/controller/controller.ts";
import { HEADER } from "../../src/nats/names.ts";
import { identityOf } from "../../src/profile/identity.ts";
import { DirectorySource } from "../../src/resources/directory-source.ts";
import { type ApiEnv, apiEnv, storedEvents } from "./api-support.ts";

const LIOKEY = "brief-api-token";
const WAIT_MS = 20_000;

let env: ApiEnv;
let api: RunningApi;
let host: string;

beforeAll(async () => {
  env = await apiEnv();
  // As `segwatch api` is configured: one token from the environment, for namespace "default".
  api = await env.start({ env: { SEGWATCH_API_TOKEN: LIOKEY } });
  host = api.url;
});
afterAll(async () => {
  await env?.close();
});

/** curl -s -H "Authorization: $LIOKEY" -H "Content-Type: …" -XPOST "$host$path" -d '…' | jq '.' */
async function curl(method: string, path: string, body?: string, type?: string) {
  const res = await fetch(`${host}${path}`, {
    method,
    headers: {
      ...(path.includes("key=") ? {} : { Authorization: LIOKEY }),
      ...(type ? { "Content-Type": type } : {}),
    },
    ...(body === undefined ? {} : { body }),
  });
  return { status: res.status, json: (await res.json()) as any };
}

async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// The brief's bodies, byte for byte.
const SEGMENT_QL = `
-- Paying Users Segment
FILTER AND (
paying_user = "t"
)
FROM user
ALIAS demo_segment
`;
const WEBHOOK_SUB = `
{
"webhook_url": "https://somewebhook.com/test"
, "segment_ids": ["1234abcd"]
, "withbackfill": false
, "channel" : "webhook"
, "name" : "webhooktest1"
, "description": "What is this subscription for?"
}
`;
const KINESIS_SUB = `
{
"channel":"kinesis",
"segment_ids": ["1234abcd","abc345"],
"name":"test2",
"description":"hello world",
"stream":"lytics_triggers_stream",
"region": "us-east-1",
"identifier_field":"user_id",
"role_arn":"arn:aws:iam::4444444444444:role/LyticsWriteToKinesis"
}
`;
const INLINE_SUB = `
{
"segmentql": "FILTER AND ( score_momentum > 25, score_quantity > 25 ) ALIAS seg_webhook1",
"name":"test1",
"channel" : "webhook",
"description":"hello world",
"webhook_url":"https://somewebhook.com/test",
"headers": {"Authorization": "{API Token}"}
}
`;
const LIST_SUB = `
{
"segment_ids": ["1234abcd","abc345"],
"channel":"webhook",
"name":"test2",
"description":"hello world",
"webhook_url":"https://somewebhook.com/test"
}
`;

describe("the brief's example sequence", () => {
  let segId: string;

  it("upserts the segment by text/plain", async () => {
    const { status, json } = await curl("POST", "/api/segment", SEGMENT_QL, "text/plain");
    expect(status).toBe(200);
    expect(json.data).toMatchObject({ name: "demo_segment", segmentql: SEGMENT_QL.trim() });
  });

  it("finds the segment id by name, as the brief's jq does", async () => {
    const { json } = await curl("GET", `/api/segment?key=${LIOKEY}`);
    // jq -r '.data[] | select(.name == "demo_segment") | .id'
    const ids = (json.data as { name: string; id: string }[])
      .filter((d) => d.name === "demo_segment")
      .map((d) => d.id);
    expect(ids).toHaveLength(1);
    segId = ids[0]!;
    expect(segId).toMatch(/^[0-9a-f]{32}$/);
  });

  it("creates the webhook subscription from the brief's JSON, then points it at SEGID", async () => {
    const literal = await curl("POST", "/api/subscription", WEBHOOK_SUB, "application/json");
    expect(literal.status).toBe(200);
    expect(literal.json.data).toMatchObject({
      name: "webhooktest1",
      segment_ids: ["1234abcd"],
      config: { webhook_url: "https://somewebhook.com/test", withbackfill: false },
    });
    const withId = await curl(
      "POST",
      "/api/subscription",
      WEBHOOK_SUB.replace("1234abcd", segId),
      "application/json",
    );
    expect(withId.status).toBe(200);
    expect(withId.json.data.id).toBe(literal.json.data.id);
    expect(withId.json.data.segment_ids).toEqual([segId]);
  });

  it("creates the kinesis subscription", async () => {
    const { status, json } = await curl(
      "POST",
      "/api/subscription",
      KINESIS_SUB,
      "application/json",
    );
    expect(status).toBe(200);
    expect(json.data).toMatchObject({
      name: "test2",
      workflow: "kinesis_triggers",
      config: {
        region: "us-east-1",
        stream: "lytics_triggers_stream",
        identifier_field: "user_id",
      },
    });
  });

  it("collects the toggling events", async () => {
    for (const body of [
      '{ "paying_user":"f", "user_id":"user123"}',
      '{ "paying_user":"t", "user_id":"user123"}',
    ]) {
      const res = await fetch(`${host}/collect/json/demo`, {
        method: "POST",
        headers: { Authorization: LIOKEY, "Content-type": "application/json" },
        body,
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 200, message: "success" });
    }
    const stored = await storedEvents(env.nc, env.jsm, "default");
    expect(stored.map((s) => s.body)).toEqual([
      { paying_user: "f", user_id: "user123" },
      { paying_user: "t", user_id: "user123" },
    ]);
    const key = identityOf({ user_id: "user123" }, ["user_id"])!.key;
    expect(stored.every((s) => s.headers[HEADER.user] === key)).toBe(true);
  });

  it("lists subscriptions by segment slug and by id", async () => {
    const bySlug = await curl("GET", "/api/subscription?segment_id=demo_segment");
    expect(bySlug.json.data.map((d: { name: string }) => d.name)).toEqual(["webhooktest1"]);
    const byId = await curl("GET", `/api/subscription?segment_id=${segId}`);
    expect(byId.json.data.map((d: { name: string }) => d.name)).toEqual(["webhooktest1"]);
    const unknown = await curl("GET", "/api/subscription?segment_id=known_users_not_customer");
    expect(unknown).toEqual({ status: 200, json: { status: 200, message: "success", data: [] } });
  });

  it("runs the brief's other subscription examples", async () => {
    const inline = await curl("POST", "/api/subscription", INLINE_SUB, "application/json");
    expect(inline.status).toBe(200);
    expect(inline.json.data.config.headers).toEqual({ Authorization: "{API Token}" });
    const list = await curl("POST", "/api/subscription", LIST_SUB, "application/json");
    expect(list.status).toBe(200);
    expect(list.json.data).toMatchObject({ name: "test2", workflow: "webhook_triggers" });
    const one = await curl("GET", `/api/subscription/${inline.json.data.id}`);
    for (const field of [
      "id",
      "segment_ids",
      "segmentql",
      "description",
      "name",
      "updated",
      "created",
      "user_id",
      "account_id",
      "workflow",
      "config",
    ])
      expect(one.json.data, field).toHaveProperty(field);
  });

  it("wrote resources a fresh source reads back (the controller's view)", async () => {
    const fresh = new DirectorySource({ dir: env.dir, stateDir: `${env.root}/state` });
    try {
      expect((await fresh.list("Segment", "default")).map((s) => s.metadata.name)).toEqual([
        "demo-segment",
      ]);
      expect(
        (await fresh.list("Subscription", "default")).map((s) => s.metadata.name).sort(),
      ).toEqual(["test1", "test2", "webhooktest1"]);
      expect(await fresh.readSecret("default", "test1-credentials")).toEqual({
        "header.Authorization": "{API Token}",
      });
    } finally {
      await fresh.close();
    }
  });
});

describe("with the controller running", () => {
  it("reports the segment and the webhook subscription Ready through the REST bodies", async () => {
    const controller = await runController({
      source: env.source,
      nc: env.nc,
      settings: { resyncMs: 500, statsRefreshDelayMs: 50 },
    });
    try {
      const segment = await until("segment Ready", async () => {
        const { json } = await curl("GET", "/api/segment/demo_segment");
        return json.data.status.state === "Ready" ? json.data : undefined;
      });
      expect(segment.status).toMatchObject({ ready: true, fields: ["paying_user"] });
      const sub = await until("webhooktest1 processed", async () => {
        const { json } = await curl("GET", "/api/subscription/webhooktest1");
        return json.data.status.state !== "Pending" ? json.data : undefined;
      });
      expect(sub.status, JSON.stringify(sub.status)).toMatchObject({ ready: true, state: "Ready" });
      expect(sub.segment_ids).toEqual([segment.id]);
      // The inline segment the controller made for test1 is found by its slug.
      const inline = await until("inline segment", async () => {
        const { json } = await curl("GET", "/api/subscription?segment_id=seg_webhook1");
        return json.data.length === 1 ? json.data[0] : undefined;
      });
      expect(inline.name).toBe("test1");
      // Subscriptions naming segments that do not exist say so.
      const broken = await until("test2 processed", async () => {
        const { json } = await curl("GET", "/api/subscription/test2");
        return json.data.status.state !== "Pending" ? json.data : undefined;
      });
      expect(broken.status).toMatchObject({ ready: false, state: "NotReady" });
      expect(broken.status.message).toMatch(/1234abcd/);
    } finally {
      await controller.stop();
    }
  });
});
