// The controller against a real nats-server and a folder of manifests: subscriptions — segment
// resolution, inline segments, Secrets and signing, consumers, backfill and counters, deletion.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SubscriptionRecord, SubscriptionStats } from "../../src/controller/records.ts";
import {
  DELIVERIES_STREAM,
  deliveryConsumerName,
  deliverySubject,
  statusKey,
} from "../../src/nats/names.ts";
import {
  condition,
  type Env,
  registryKey,
  secretYaml,
  segmentYaml,
  startEnv,
  until,
  untilSubscriptionCondition,
  webhookSubscriptionYaml,
} from "./controller-helpers.ts";

describe("controller: subscriptions", () => {
  let env: Env;

  beforeAll(async () => {
    env = await startEnv();
  });

  afterAll(async () => {
    await env?.close();
  });

  it("becomes Ready once a missing segment is created, then registers and ensures consumers", async () => {
    env.write(
      "hook1.yaml",
      webhookSubscriptionYaml(
        "webhooktest1",
        `  segments: [demo_segment]
  webhook:
    url: http://127.0.0.1:9/hook
    headers: {best_number: "47"}
`,
      ),
    );
    const waiting = await env.ready("Subscription", "webhooktest1", "False");
    expect(condition(waiting, "SegmentsResolved")).toMatchObject({
      status: "False",
      reason: "SegmentNotFound",
    });
    expect(condition(waiting, "SegmentsResolved")!.message).toContain('"demo_segment"');
    expect(condition(waiting, "Ready")).toMatchObject({ reason: "SegmentNotFound" });
    const id = waiting.status!.id!;
    expect(await env.registry(registryKey.subscription("acme", id))).toBeUndefined();

    env.write(
      "demo.yaml",
      segmentYaml("demo-segment", 'FILTER AND ( paying_user = "t" ) FROM user ALIAS demo_segment'),
    );
    const seg = await env.ready("Segment", "demo-segment");
    const sub = await env.ready("Subscription", "webhooktest1");
    expect(sub.status).toMatchObject({
      observedGeneration: 1,
      id,
      segmentIds: [seg.status!.id],
      delivered: 0,
      failed: 0,
      deadLettered: 0,
      lastDeliveryTime: null,
      lastError: null,
      backfill: { state: "NotRequested" },
    });
    expect(sub.status!.conditions!.map((c) => [c.type, c.status, c.reason])).toEqual([
      ["Ready", "True", "Ready"],
      ["SegmentsResolved", "True", "Resolved"],
      ["DeliveryReady", "True", "DeliveryConfigured"],
      ["Backfilled", "True", "NotRequested"],
    ]);
    const record = await env.registry<SubscriptionRecord>(registryKey.subscription("acme", id));
    const signing = await env.source.readSecret("acme", "webhooktest1-signing");
    expect(signing?.secret).toMatch(/^whsec_/);
    expect(record).toEqual({
      id,
      namespace: "acme",
      name: "webhooktest1",
      channel: "webhook",
      generation: 1,
      segmentIds: [seg.status!.id],
      events: ["enter", "exit"],
      fields: [],
      delivery: {
        maxAttempts: 12,
        initialBackoffMs: 1_000,
        maxBackoffMs: 600_000,
        timeoutMs: 15_000,
        maxInFlight: 32,
      },
      webhook: {
        url: "http://127.0.0.1:9/hook",
        headers: { best_number: "47" },
        signingSecrets: [signing!.secret],
      },
    });
    for (const lane of ["live", "backfill"] as const) {
      const info = await env.jsm.consumers.info(DELIVERIES_STREAM, deliveryConsumerName(id, lane));
      expect(info.config).toMatchObject({
        filter_subject: deliverySubject("webhook", id, lane),
        ack_policy: "explicit",
        deliver_policy: "new",
      });
    }
  });

  it("removes the registry entry and consumers of a deleted subscription", async () => {
    env.write(
      "hook2.yaml",
      webhookSubscriptionYaml(
        "short-lived",
        "  segments: [demo-segment]\n  webhook: {url: https://example.com/x}\n",
      ),
    );
    const sub = await env.ready("Subscription", "short-lived");
    const id = sub.status!.id!;
    expect(await env.consumerExists(id, "live")).toBe(true);
    env.remove("hook2.yaml");
    await until("registry entry and consumers are gone", async () =>
      (await env.registry(registryKey.subscription("acme", id))) === undefined &&
      !(await env.consumerExists(id, "live")) &&
      !(await env.consumerExists(id, "backfill"))
        ? true
        : undefined,
    );
  });

  it("owns an inline segment: created Ready, deleted with the subscription", async () => {
    env.write(
      "inline.yaml",
      webhookSubscriptionYaml(
        "inline-hook",
        `  segmentql: 'FILTER score > 10 ALIAS high_scores'
  webhook: {url: https://example.com/inline}
`,
      ),
    );
    const sub = await env.ready("Subscription", "inline-hook");
    const seg = await env.ready("Segment", "inline-hook-inline");
    expect(seg.metadata.ownerReferences).toEqual([
      {
        apiVersion: "segwatch.io/v1alpha1",
        kind: "Subscription",
        name: "inline-hook",
        uid: sub.metadata.uid,
        controller: true,
      },
    ]);
    expect(seg.status?.slug).toBe("high_scores");
    // Applied once: reconciles that find it as wanted leave it alone.
    expect(seg.metadata.generation).toBe(1);
    expect(sub.status?.segmentIds).toEqual([seg.status!.id]);

    env.remove("inline.yaml");
    await until("the inline segment is deleted with its subscription", async () =>
      (await env.get("Segment", "inline-hook-inline")) === undefined &&
      (await env.registry(registryKey.segment("acme", seg.status!.id!))) === undefined
        ? true
        : undefined,
    );
  });

  it("reports an invalid spec naming the field, without registering or consuming", async () => {
    env.write(
      "invalid.yaml",
      webhookSubscriptionYaml(
        "no-url",
        "  segments: [demo-segment]\n  webhook: {headers: {a: b}}\n",
      ),
    );
    const sub = await env.ready("Subscription", "no-url", "False");
    expect(condition(sub, "DeliveryReady")).toMatchObject({
      status: "False",
      reason: "InvalidSpec",
    });
    expect(condition(sub, "DeliveryReady")!.message).toContain("spec.webhook.url");
    expect(condition(sub, "SegmentsResolved")).toMatchObject({ status: "True" });
    expect(condition(sub, "Ready")).toMatchObject({ reason: "InvalidSpec" });
    expect(await env.registry(registryKey.subscription("acme", sub.status!.id!))).toBeUndefined();
    expect(await env.consumerExists(sub.status!.id!, "live")).toBe(false);

    env.write(
      "invalid.yaml",
      webhookSubscriptionYaml(
        "no-url",
        "  segments: [demo-segment, demo_segment]\n  withBackfill: true\n  webhook: {url: https://example.com}\n",
      ),
    );
    const two = await untilSubscriptionCondition(
      env,
      "withBackfill with two segments is refused",
      "no-url",
      "SegmentsResolved",
      "InvalidSpec",
    );
    expect(condition(two, "SegmentsResolved")!.message).toContain("spec.withBackfill");
    env.remove("invalid.yaml");
  });

  it("waits for missing Secrets, then resolves them; a new signing secret rotates", async () => {
    env.write(
      "secret-hook.yaml",
      webhookSubscriptionYaml(
        "secret-hook",
        `  segments: [demo-segment]
  webhook:
    url: https://example.com/secret
    headersFrom: [{name: Authorization, secretKeyRef: {name: hook-auth, key: token}}]
    signingSecretRef: {name: hook-signing, key: secret}
`,
      ),
    );
    const waiting = await env.ready("Subscription", "secret-hook", "False");
    expect(condition(waiting, "DeliveryReady")).toMatchObject({ reason: "SecretNotFound" });
    expect(condition(waiting, "DeliveryReady")!.message).toContain("hook-auth");
    const id = waiting.status!.id!;
    expect(await env.registry(registryKey.subscription("acme", id))).toBeUndefined();

    env.write(
      "secrets.yaml",
      `${secretYaml("hook-auth", { token: "Bearer abc" })}---\n${secretYaml("hook-signing", { secret: "whsec_Zmlyc3Qtc2VjcmV0LWJ5dGVz" })}`,
    );
    await env.ready("Subscription", "secret-hook");
    const record = await env.registry<SubscriptionRecord>(registryKey.subscription("acme", id));
    expect(record?.webhook).toEqual({
      url: "https://example.com/secret",
      headers: { Authorization: "Bearer abc" },
      signingSecrets: ["whsec_Zmlyc3Qtc2VjcmV0LWJ5dGVz"],
    });

    env.write(
      "secrets.yaml",
      `${secretYaml("hook-auth", { token: "Bearer abc" })}---\n${secretYaml("hook-signing", { secret: "whsec_c2Vjb25kLXNlY3JldC1ieXRlcw==" })}`,
    );
    const rotated = await until("the rotation reaches the registry", async () => {
      const r = await env.registry<SubscriptionRecord>(registryKey.subscription("acme", id));
      return r?.webhook?.signingSecrets.length === 2 ? r : undefined;
    });
    expect(rotated.webhook?.signingSecrets).toEqual([
      "whsec_c2Vjb25kLXNlY3JldC1ieXRlcw==",
      "whsec_Zmlyc3Qtc2VjcmV0LWJ5dGVz",
    ]);
    const expires = Date.parse(rotated.webhook!.previousSigningSecretExpiresAt!);
    expect(expires).toBeGreaterThan(Date.now() + 23 * 3_600_000);

    // The Secrets go away: reported, but memberships keep being delivered with what was valid.
    env.remove("secrets.yaml");
    const lost = await untilSubscriptionCondition(
      env,
      "the missing Secret is reported",
      "secret-hook",
      "DeliveryReady",
      "SecretNotFound",
    );
    expect(condition(lost, "DeliveryReady")!.message).toContain(
      "still delivering as of generation 1",
    );
    expect(condition(lost, "Ready")).toMatchObject({ status: "False" });
    expect(await env.registry<SubscriptionRecord>(registryKey.subscription("acme", id))).toEqual(
      rotated,
    );
    expect(await env.consumerExists(id, "live")).toBe(true);
    expect(await env.consumerExists(id, "backfill")).toBe(true);
  });

  it("makes a kinesis subscription Ready, its credentials Secret read into the record", async () => {
    env.write("aws-secret.yaml", secretYaml("aws-creds", { aws_access_key_id: "AKIA1" }));
    env.write(
      "kinesis.yaml",
      `apiVersion: segwatch.io/v1alpha1
kind: Subscription
metadata: {name: to-kinesis, namespace: acme}
spec:
  channel: kinesis
  segments: [demo-segment]
  kinesis:
    region: us-east-2
    stream: segment-stream
    identifierField: user_id
    credentialsSecretRef: {name: aws-creds}
`,
    );
    const unusable = await env.ready("Subscription", "to-kinesis", "False");
    expect(condition(unusable, "DeliveryReady")).toMatchObject({ reason: "InvalidSecret" });
    expect(condition(unusable, "DeliveryReady")!.message).toContain(
      "needs non-empty keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    );

    env.write(
      "aws-secret.yaml",
      secretYaml("aws-creds", { AWS_ACCESS_KEY_ID: "AKIA1", AWS_SECRET_ACCESS_KEY: "s3cret" }),
    );
    const sub = await env.ready("Subscription", "to-kinesis", "True");
    expect(condition(sub, "DeliveryReady")).toMatchObject({
      status: "True",
      reason: "DeliveryConfigured",
    });
    const id = sub.status!.id!;
    expect(
      (await env.registry<SubscriptionRecord>(registryKey.subscription("acme", id)))?.kinesis,
    ).toEqual({
      region: "us-east-2",
      stream: "segment-stream",
      identifierField: "user_id",
      credentials: { accessKeyId: "AKIA1", secretAccessKey: "s3cret" },
    });
    expect(await env.consumerExists(id, "live")).toBe(true);
    env.remove("kinesis.yaml");
    env.remove("aws-secret.yaml");
  });

  it("tracks a backfill from Pending to Complete, keeping when it was requested", async () => {
    env.write(
      "backfill.yaml",
      webhookSubscriptionYaml(
        "with-backfill",
        "  segments: [demo_segment]\n  withBackfill: true\n  webhook: {url: https://example.com/bf}\n",
      ),
    );
    const pending = await env.ready("Subscription", "with-backfill", "False");
    expect(condition(pending, "Backfilled")).toMatchObject({ status: "False", reason: "Pending" });
    expect(condition(pending, "SegmentsResolved")?.status).toBe("True");
    const id = pending.status!.id!;
    const requestedAt = (pending.status!.backfill as { requestedAt?: string }).requestedAt!;
    expect(requestedAt).toBeDefined();
    const record = await env.registry<SubscriptionRecord>(registryKey.subscription("acme", id));
    expect(record?.backfillRequestedAt).toBe(requestedAt);

    // A restart and a spec change keep the instant.
    await env.stopController();
    await env.startController();
    env.write(
      "backfill.yaml",
      webhookSubscriptionYaml(
        "with-backfill",
        "  segments: [demo_segment]\n  withBackfill: true\n  fields: [email]\n  webhook: {url: https://example.com/bf}\n",
      ),
    );
    const after = await until("the restarted controller reconciled generation 2", async () => {
      const s = await env.get("Subscription", "with-backfill");
      return s?.status?.observedGeneration === 2 ? s : undefined;
    });
    expect((after.status!.backfill as { requestedAt?: string }).requestedAt).toBe(requestedAt);

    const put = (stats: SubscriptionStats) =>
      env.buckets.status.put(statusKey.subscription("acme", id), JSON.stringify(stats));
    const base = {
      delivered: 0,
      failed: 0,
      deadLettered: 0,
      lastDeliveryTime: null,
      lastError: null,
    };
    await put({
      ...base,
      backfill: { state: "Running", members: 3, at: new Date().toISOString() },
    });
    await untilSubscriptionCondition(env, "Running", "with-backfill", "Backfilled", "Running");
    await put({
      ...base,
      delivered: 7,
      lastDeliveryTime: new Date().toISOString(),
      backfill: { state: "Complete", members: 7, at: new Date().toISOString() },
    });
    const done = await env.ready("Subscription", "with-backfill");
    expect(done.status).toMatchObject({
      delivered: 7,
      backfill: { state: "Complete", members: 7 },
    });
    expect(condition(done, "Backfilled")).toMatchObject({ status: "True", reason: "Complete" });
  });

  it("reports DeliveryFailing while the last error is recent, and counters", async () => {
    const sub = await env.ready("Subscription", "webhooktest1");
    const id = sub.status!.id!;
    const now = new Date().toISOString();
    const stats: SubscriptionStats = {
      delivered: 10,
      failed: 3,
      deadLettered: 1,
      lastDeliveryTime: new Date(Date.now() - 60_000).toISOString(),
      lastError: "HTTP 503 from 127.0.0.1:9",
      lastErrorTime: now,
    };
    await env.buckets.status.put(statusKey.subscription("acme", id), JSON.stringify(stats));
    const failing = await env.ready("Subscription", "webhooktest1", "False");
    expect(condition(failing, "DeliveryReady")).toMatchObject({
      reason: "DeliveryFailing",
      message: "HTTP 503 from 127.0.0.1:9",
    });
    expect(failing.status).toMatchObject({ delivered: 10, failed: 3, deadLettered: 1 });
    // Still registered: failing deliveries are retried, not a reason to stop.
    expect(await env.registry(registryKey.subscription("acme", id))).toBeDefined();

    await env.buckets.status.put(
      statusKey.subscription("acme", id),
      JSON.stringify({
        ...stats,
        delivered: 11,
        lastDeliveryTime: new Date(Date.now() + 1).toISOString(),
      }),
    );
    await env.ready("Subscription", "webhooktest1");
  });

  it("collects what a subscription deleted while the controller was down left behind", async () => {
    env.write(
      "doomed.yaml",
      webhookSubscriptionYaml(
        "doomed",
        "  segments: [demo-segment]\n  webhook: {url: https://example.com/d}\n",
      ),
    );
    const id = (await env.ready("Subscription", "doomed")).status!.id!;
    // Counters the workers kept for it, and another subscription's that stay.
    const counters = [
      statusKey.subscription("acme", id),
      `${statusKey.subscription("acme", id)}.backfill.0`,
      statusKey.backfillDelivered("acme", id),
      // A segment's members counted before it was deleted.
      statusKey.segment("acme", "0123456789abcdef0123456789abcdef"),
    ];
    for (const k of counters) await env.buckets.status.put(k, JSON.stringify({ delivered: 1 }));
    const kept = (await env.ready("Subscription", "webhooktest1")).status!.id!;
    await env.buckets.status.put(statusKey.subscription("acme", kept), JSON.stringify({}));
    await env.stopController();
    env.remove("doomed.yaml");
    await env.startController();
    await until("registry entry, consumers and counters are collected", async () => {
      const gone = await Promise.all(
        counters.map(async (k) => (await env.buckets.status.get(k))?.operation !== "PUT"),
      );
      return (await env.registry(registryKey.subscription("acme", id))) === undefined &&
        !(await env.consumerExists(id, "live")) &&
        gone.every(Boolean)
        ? true
        : undefined;
    });
    expect((await env.buckets.status.get(statusKey.subscription("acme", kept)))?.operation).toBe(
      "PUT",
    );
    expect(env.errors.join("\n")).toBe("");
  });
});
