import { describe, expect, it } from "vitest";
import { subscription } from "../../test/support/controller-fixtures.ts";
import type { ResourceSource } from "../resources/source.ts";
import type { SecretData } from "../resources/types.ts";
import { type ChannelContext, resolveChannel } from "./channel-settings.ts";

const EH_CS = "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=k";

function secrets(initial: Record<string, SecretData> = {}) {
  const store = new Map(Object.entries(initial));
  const writes: string[] = [];
  const source = {
    readSecret: async (ns: string, name: string) => store.get(`${ns}/${name}`),
    writeSecret: async (ns: string, name: string, data: SecretData) => {
      writes.push(`${ns}/${name}`);
      store.set(`${ns}/${name}`, data);
    },
  } as unknown as ResourceSource;
  return { source, store, writes };
}

const ctx = (source: ResourceSource, extra: Partial<ChannelContext> = {}): ChannelContext => ({
  source,
  previousWebhook: undefined,
  now: Date.parse("2026-03-01T00:00:00Z"),
  rotationWindowMs: 86_400_000,
  missingSecretRetryMs: 10_000,
  ...extra,
});

describe("resolveChannel", () => {
  it("resolves headers from Secrets and generates a signing secret once", async () => {
    const { source, store, writes } = secrets({ "acme/hook-auth": { token: "Bearer t" } });
    const sub = subscription("hook", {
      webhook: {
        url: "https://example.com/hook",
        headers: { best_number: "47" },
        headersFrom: [{ name: "Authorization", secretKeyRef: { name: "hook-auth", key: "token" } }],
      },
    });
    const r = await resolveChannel(sub, ctx(source));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.channel.webhook?.headers).toEqual({ best_number: "47", Authorization: "Bearer t" });
    const generated = store.get("acme/hook-signing")?.secret;
    expect(generated).toMatch(/^whsec_/);
    expect(r.channel.webhook?.signingSecrets).toEqual([generated]);
    const again = await resolveChannel(sub, ctx(source));
    expect(again.ok && again.channel.webhook?.signingSecrets).toEqual([generated]);
    expect(writes).toEqual(["acme/hook-signing"]);
  });

  it("reports every missing Secret or key as SecretNotFound, and asks to look again", async () => {
    const { source } = secrets({ "acme/hook-auth": { other: "x" } });
    const sub = subscription("hook", {
      webhook: {
        url: "https://example.com/hook",
        headersFrom: [{ name: "Authorization", secretKeyRef: { name: "hook-auth", key: "token" } }],
        signingSecretRef: { name: "hook-signing-secret", key: "secret" },
      },
    });
    const r = await resolveChannel(sub, ctx(source));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.condition).toMatchObject({
      type: "DeliveryReady",
      status: "False",
      reason: "SecretNotFound",
    });
    expect(r.condition.message).toContain('Secret hook-auth has no key "token"');
    expect(r.condition.message).toContain("Secret hook-signing-secret not found");
    expect(r.recheckAfterMs).toBe(10_000);
  });

  it("rotates: a changed referenced secret signs alongside the previous one", async () => {
    const { source } = secrets({ "acme/sig": { secret: "whsec_bmV3LXNlY3JldC1ieXRlcw==" } });
    const sub = subscription("hook", {
      webhook: {
        url: "https://example.com/hook",
        signingSecretRef: { name: "sig", key: "secret" },
      },
    });
    const r = await resolveChannel(
      sub,
      ctx(source, {
        previousWebhook: { url: "x", headers: {}, signingSecrets: ["old-raw-secret"] },
      }),
    );
    expect(r.ok && r.channel.webhook?.signingSecrets).toEqual([
      "whsec_bmV3LXNlY3JldC1ieXRlcw==",
      "old-raw-secret",
    ]);
    expect(r.ok && r.channel.webhook?.previousSigningSecretExpiresAt).toBe(
      "2026-03-02T00:00:00.000Z",
    );
    expect(r.recheckAfterMs).toBe(86_400_000);
  });

  it("refuses an unusable signing secret", async () => {
    const { source } = secrets({ "acme/sig": { secret: "whsec_***" } });
    const sub = subscription("hook", {
      webhook: {
        url: "https://example.com/hook",
        signingSecretRef: { name: "sig", key: "secret" },
      },
    });
    const r = await resolveChannel(sub, ctx(source));
    expect(!r.ok && r.condition.reason).toBe("InvalidSecret");
  });

  it("resolves stream channels' credentials", async () => {
    const { source } = secrets({
      "acme/aws": { AWS_ACCESS_KEY_ID: "AK", AWS_SECRET_ACCESS_KEY: "SK" },
      "acme/eh": { cs: EH_CS },
    });
    const kinesis = await resolveChannel(
      subscription("k", {
        channel: "kinesis",
        webhook: undefined,
        kinesis: { region: "us-east-1", stream: "s", credentialsSecretRef: { name: "aws" } },
      }),
      ctx(source),
    );
    expect(kinesis.ok && kinesis.channel.kinesis).toEqual({
      region: "us-east-1",
      stream: "s",
      credentials: { accessKeyId: "AK", secretAccessKey: "SK" },
    });
    const bad = await resolveChannel(
      subscription("k2", {
        channel: "kinesis",
        webhook: undefined,
        kinesis: { region: "us-east-1", stream: "s", credentialsSecretRef: { name: "eh" } },
      }),
      ctx(source),
    );
    expect(!bad.ok && bad.condition).toMatchObject({
      reason: "InvalidSecret",
      message: expect.stringContaining(
        "Secret eh (spec.kinesis.credentialsSecretRef) needs non-empty keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
      ),
    });
    const eh = await resolveChannel(
      subscription("e", {
        channel: "eventhub",
        webhook: undefined,
        eventHub: { eventHubName: "h", connectionStringSecretRef: { name: "eh", key: "cs" } },
      }),
      ctx(source),
    );
    expect(eh.ok && eh.channel.eventHub).toEqual({
      eventHubName: "h",
      connectionString: EH_CS,
    });
  });

  it("refuses an event hub connection string the worker could not use", async () => {
    const { source } = secrets({
      "acme/bad": { cs: "Endpoint=sb://x" },
      "acme/scoped": { cs: `${EH_CS};EntityPath=other` },
    });
    const eventHub = (name: string, eventHubName?: string) =>
      resolveChannel(
        subscription("e", {
          channel: "eventhub",
          webhook: undefined,
          eventHub: {
            ...(eventHubName ? { eventHubName } : {}),
            connectionStringSecretRef: { name, key: "cs" },
          },
        }),
        ctx(source),
      );
    const bad = await eventHub("bad", "h");
    expect(!bad.ok && bad.condition).toMatchObject({
      reason: "InvalidSecret",
      message: expect.stringContaining("no SharedAccessKeyName"),
    });
    const mismatch = await eventHub("scoped", "h");
    expect(!mismatch.ok && mismatch.condition.message).toMatch(
      /spec\.eventHub\.eventHubName: .*"h" does not match the connection string's EntityPath "other"/,
    );
    // Without a name of its own, the subscription publishes to the EntityPath.
    const scoped = await eventHub("scoped");
    expect(scoped.ok && scoped.channel.eventHub).toEqual({
      connectionString: `${EH_CS};EntityPath=other`,
    });
  });
});
