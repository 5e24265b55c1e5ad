// The whole pipeline against a real kube-apiserver: a Segment and a Subscription created with
// kubectl, the controller reconciling them from the cluster, the REST API (its token opening the
// test's namespace) taking an event on the collect endpoint, the evaluator, and the webhook delivery
// worker posting the entry to a local receiver. The REST API also reads through the cluster: the
// subscription kubectl created is listed by GET /api/subscription.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningApi, runApi } from "../../src/api/app.ts";
import { type DeliveryRun, runDeliveryWorker } from "../../src/delivery/run.ts";
import { type Evaluator, runEvaluator } from "../../src/evaluator/run.ts";
import {
  createNamespace,
  deleteNamespace,
  kubectl,
  type Stack,
  startReceiver,
  startStack,
  until,
} from "./operator-support.ts";

const TOKEN = "e2e-collect-token";
const REST_TOKEN = "e2e-rest-token";
const PARTITIONS = 4;

let ns = "";
/** The REST test's own namespace (account), opened by REST_TOKEN. */
let restNs = "";
let stack: Stack;
let api: RunningApi;
let evaluator: Evaluator;
let delivery: DeliveryRun;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  ns = await createNamespace("e2e-collect");
  restNs = await createNamespace("e2e-rest");
  stack = await startStack([ns, restNs]);
  await stack.startController();
  receiver = await startReceiver();
  evaluator = await runEvaluator({ connection: stack.nc, partitions: PARTITIONS });
  delivery = await runDeliveryWorker({
    channel: "webhook",
    connection: stack.nc,
    webhook: { targetPolicy: { allowLoopback: true } },
    worker: { lease: { ttlMs: 3_000, renewMs: 500, pollMs: 50 } },
    log: () => {},
  });
  api = await runApi({
    source: stack.source,
    connection: stack.nc,
    config: {
      tokens: new Map([
        [TOKEN, ns],
        [REST_TOKEN, restNs],
      ]),
      partitions: PARTITIONS,
    },
    listen: { host: "127.0.0.1", port: 0 },
    processMetrics: false,
    env: {},
  });
});

afterAll(async () => {
  await api?.stop();
  await delivery?.stop();
  await evaluator?.stop();
  await receiver?.close();
  await stack?.close();
  if (ns) await deleteNamespace(ns);
  if (restNs) await deleteNamespace(restNs);
});

describe("collect → evaluator → webhook, with resources from kubectl", () => {
  it("delivers the entry of a user to the subscription's webhook", async () => {
    await kubectl(
      ["apply", "-n", ns, "-f", "-"],
      `apiVersion: segwatch.io/v1alpha1
kind: Segment
metadata: {name: demo-segment}
spec:
  segmentql: |
    FILTER AND ( paying_user = "t" ) FROM user ALIAS demo_segment
---
apiVersion: segwatch.io/v1alpha1
kind: Subscription
metadata: {name: to-receiver}
spec:
  channel: webhook
  segments: [demo-segment]
  events: [enter, exit]
  webhook:
    url: ${receiver.url}
`,
    );
    await kubectl([
      "wait",
      "-n",
      ns,
      "--for=condition=Ready",
      "--timeout=60s",
      "segments.segwatch.io/demo-segment",
      "subscriptions.segwatch.io/to-receiver",
    ]);

    // The REST API sees what kubectl created (namespace = the token's account).
    const listed = (await (
      await fetch(`${api.url}/api/subscription`, { headers: { authorization: TOKEN } })
    ).json()) as { data: { name?: string; config?: { webhook_url?: string } }[] };
    expect(listed.data.some((s) => s.config?.webhook_url === receiver.url)).toBe(true);

    // The evaluators pick the registry up asynchronously; an event before that is only evaluated
    // against what it knows, so post until the receiver has the entry (bounded).
    const posted = async (paying: string) => {
      const r = await fetch(`${api.url}/collect/json/demo`, {
        method: "POST",
        headers: { authorization: TOKEN, "content-type": "application/json" },
        body: JSON.stringify({ user_id: "u-e2e", paying_user: paying }),
      });
      expect(r.status).toBe(200);
    };
    await posted("f");
    await posted("t");
    const entry = await until("the entry at the receiver", () =>
      receiver.received.find((r) => JSON.stringify(r.body).includes('"event":"enter"')),
    );
    const body = entry.body as {
      data: { user_id: string; segment_events: { event: string; slug: string }[] };
      meta: { subscription_id: string };
    };
    expect(body.data.user_id).toBe("u-e2e");
    expect(body.data.segment_events).toEqual([
      expect.objectContaining({ event: "enter", slug: "demo_segment" }),
    ]);
    const uid = (
      await kubectl([
        "get",
        "subscriptions.segwatch.io/to-receiver",
        "-n",
        ns,
        "-o",
        "jsonpath={.metadata.uid}",
      ])
    ).replaceAll("-", "");
    expect(body.meta.subscription_id).toBe(uid);
    expect(entry.headers["webhook-signature"]).toMatch(/^v1,/);
  });

  it("REST API writes land as custom resources in the token's namespace, credentials in a Secret", async () => {
    const auth = { authorization: REST_TOKEN };
    const seg = await fetch(`${api.url}/api/segment`, {
      method: "POST",
      headers: { ...auth, "content-type": "text/plain" },
      body: 'FILTER AND ( plan = "pro" ) FROM user ALIAS pro_users',
    });
    expect(seg.status).toBe(200);
    const segId = ((await seg.json()) as { data: { id: string } }).data.id;
    const sub = await fetch(`${api.url}/api/subscription`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({
        channel: "webhook",
        name: "rest-hook",
        segment_ids: [segId],
        webhook_url: receiver.url,
        headers: { Authorization: "Bearer s3cret", best_number: "47" },
      }),
    });
    expect(sub.status).toBe(200);

    // kubectl sees both, in the token's namespace only, and they become Ready.
    const names = await kubectl([
      "get",
      "segments.segwatch.io,subscriptions.segwatch.io",
      "-n",
      restNs,
      "-o",
      "name",
    ]);
    expect(names.trim().split("\n").sort()).toEqual([
      expect.stringMatching(/^segment\.segwatch\.io\//),
      "subscription.segwatch.io/rest-hook",
    ]);
    expect(await kubectl(["get", "segments.segwatch.io", "-n", ns, "-o", "name"])).not.toMatch(
      /pro_users|pro-users/,
    );
    await kubectl([
      "wait",
      "-n",
      restNs,
      "--for=condition=Ready",
      "--timeout=60s",
      "segments.segwatch.io,subscriptions.segwatch.io",
      "--all",
    ]);
    const spec = JSON.parse(
      await kubectl([
        "get",
        "subscriptions.segwatch.io/rest-hook",
        "-n",
        restNs,
        "-o",
        "jsonpath={.spec.webhook}",
      ]),
    ) as {
      headers?: Record<string, string>;
      headersFrom?: { name: string; secretKeyRef: { name: string; key: string } }[];
    };
    expect(spec.headers).toEqual({ best_number: "47" });
    expect(JSON.stringify(spec)).not.toContain("s3cret");
    const ref = spec.headersFrom?.find((h) => h.name === "Authorization")?.secretKeyRef;
    expect(ref).toBeDefined();
    const secret = JSON.parse(
      await kubectl(["get", `secret/${ref!.name}`, "-n", restNs, "-o", "json"]),
    ) as { data: Record<string, string> };
    expect(Buffer.from(secret.data[ref!.key] ?? "", "base64").toString("utf8")).toBe(
      "Bearer s3cret",
    );
  });
});
