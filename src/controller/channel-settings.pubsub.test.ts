import { describe, expect, it } from "vitest";
import { subscription } from "../../test/support/controller-fixtures.ts";
import { serviceAccountKeyJson } from "../../test/support/service-account-key.ts";
import type { ResourceSource } from "../resources/source.ts";
import type { SecretData } from "../resources/types.ts";
import { type ChannelContext, resolveChannel } from "./channel-settings.ts";

function ctx(secrets: Record<string, SecretData>): ChannelContext {
  const source = {
    readSecret: async (ns: string, name: string) => secrets[`${ns}/${name}`],
  } as unknown as ResourceSource;
  return {
    source,
    previousWebhook: undefined,
    now: Date.parse("2026-03-01T00:00:00Z"),
    rotationWindowMs: 86_400_000,
    missingSecretRetryMs: 10_000,
  };
}

const sub = (pubsub: Record<string, unknown>) =>
  subscription("ps", {
    channel: "pubsub",
    webhook: undefined,
    pubsub: { projectId: "my-project", topic: "triggers", ...pubsub },
  });

describe("resolveChannel: pubsub", () => {
  it("reads the service-account key from its Secret into the record", async () => {
    const key = serviceAccountKeyJson();
    const r = await resolveChannel(
      sub({
        credentialsSecretRef: { name: "gcp", key: "credentials.json" },
        orderingKeyField: "account_id",
      }),
      ctx({ "acme/gcp": { "credentials.json": key } }),
    );
    expect(r.ok && r.channel.pubsub).toEqual({
      projectId: "my-project",
      topic: "triggers",
      orderingKeyField: "account_id",
      credentials: key,
    });
    const adc = await resolveChannel(sub({}), ctx({}));
    expect(adc.ok && adc.channel.pubsub).toEqual({ projectId: "my-project", topic: "triggers" });
  });

  it("reports an unusable key as InvalidSecret, naming the Secret", async () => {
    const r = await resolveChannel(
      sub({ credentialsSecretRef: { name: "gcp", key: "credentials.json" } }),
      ctx({ "acme/gcp": { "credentials.json": "not json" } }),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.condition).toMatchObject({
      type: "DeliveryReady",
      status: "False",
      reason: "InvalidSecret",
    });
    expect(r.condition.message).toBe(
      "the Pub/Sub credentials (Secret gcp, key credentials.json) are unusable: the credentials are not JSON (a service-account key file)",
    );
  });

  it("reports a missing Secret as SecretNotFound", async () => {
    const r = await resolveChannel(
      sub({ credentialsSecretRef: { name: "gcp", key: "credentials.json" } }),
      ctx({}),
    );
    expect(!r.ok && r.condition.reason).toBe("SecretNotFound");
  });
});
