// The Event Hubs test peer: its SAS checks (pure), and the real @azure/event-hubs client against it,
// so that what the delivery tests rely on (authorization, hub and partition properties, batches with
// partition keys, injected failures) is what the SDK does against the service.
import { EventHubProducerClient } from "@azure/event-hubs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EventHubPeer, startEventHubPeer } from "../harness/eventhub-peer.ts";
import { covers, signSas, validateSas } from "../harness/eventhub-sas.ts";

describe("SAS validation", () => {
  const keys = new Map([["send", "s3cret"]]);
  const audience = "sb://ns.servicebus.windows.net/hub";
  const now = 1_800_000_000;

  it("accepts a token signed with the named key, for the audience or a resource above it", () => {
    expect(validateSas(signSas(audience, "send", "s3cret", now + 60), audience, keys, now)).toEqual(
      {
        ok: true,
        keyName: "send",
        resource: audience,
      },
    );
    const namespaceWide = signSas("sb://ns.servicebus.windows.net/", "send", "s3cret", now + 60);
    expect(validateSas(namespaceWide, `${audience}/Partitions/0`, keys, now).ok).toBe(true);
  });

  it.each([
    ["a wrong key", signSas(audience, "send", "other", now + 60), /InvalidSignature/],
    ["an unknown key name", signSas(audience, "listen", "s3cret", now + 60), /no key named listen/],
    ["an expired token", signSas(audience, "send", "s3cret", now), /ExpiredToken/],
    [
      "another hub's token",
      signSas("sb://ns.servicebus.windows.net/other", "send", "s3cret", now + 60),
      /InvalidAudience/,
    ],
    ["a token that is not a SAS", "Bearer abc", /not a SharedAccessSignature/],
    ["a token without a signature", "SharedAccessSignature sr=a&se=1&skn=send", /lacks/],
  ])("refuses %s", (_what, token, reason) => {
    const r = validateSas(token, audience, keys, now);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });

  it("refuses a token whose resource was changed after signing", () => {
    const token = signSas("sb://ns.servicebus.windows.net/other", "send", "s3cret", now + 60);
    const forged = token.replace(encodeURIComponent("/other"), encodeURIComponent("/hub"));
    expect(validateSas(forged, audience, keys, now)).toMatchObject({ ok: false });
  });

  it("scopes by path segment, case-insensitively", () => {
    expect(covers("sb://ns/hub", "sb://ns/HUB/partitions/1")).toBe(true);
    expect(covers("sb://ns/hub", "sb://ns/hub2")).toBe(false);
  });
});

describe("the peer with the real SDK", () => {
  let peer: EventHubPeer;
  const clients: EventHubProducerClient[] = [];
  const client = (cs: string, hub?: string) => {
    const c = hub
      ? new EventHubProducerClient(cs, hub, { retryOptions: { maxRetries: 0 } })
      : new EventHubProducerClient(cs, { retryOptions: { maxRetries: 0 } });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    peer = await startEventHubPeer({ hubs: { triggers: 3 }, keys: { send: "k1", other: "k2" } });
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await peer?.close();
  });

  it("answers the management node's hub and partition properties", async () => {
    const c = client(peer.connectionString({ entityPath: "triggers" }));
    const hub = await c.getEventHubProperties();
    expect(hub).toMatchObject({ name: "triggers", partitionIds: ["0", "1", "2"] });
    expect(hub.createdOn).toBeInstanceOf(Date);
    const p = await c.getPartitionProperties("1");
    expect(p).toMatchObject({ eventHubName: "triggers", partitionId: "1", isEmpty: true });
  });

  it("records a batch's events with their partition key, id, content type and properties", async () => {
    const c = client(peer.connectionString(), "triggers");
    const batch = await c.createBatch({ partitionKey: "user-1" });
    expect(batch.maxSizeInBytes).toBe(1024 * 1024);
    for (const i of [1, 2]) {
      expect(
        batch.tryAdd({
          body: Buffer.from(`{"n":${i}}`),
          contentType: "application/json",
          messageId: `m${i}`,
          properties: { subscription_id: "s1" },
        }),
      ).toBe(true);
    }
    const before = peer.events.length;
    await c.sendBatch(batch);
    const got = peer.events.slice(before);
    expect(got.map((e) => [e.messageId, e.body.toString(), e.partitionKey])).toEqual([
      ["m1", '{"n":1}', "user-1"],
      ["m2", '{"n":2}', "user-1"],
    ]);
    expect(got[0]).toMatchObject({
      hub: "triggers",
      contentType: "application/json",
      properties: { subscription_id: "s1" },
    });
    expect(new Set(got.map((e) => e.partitionId)).size).toBe(1);
    expect(peer.transfers.at(-1)!.format).toBe(0x80013700);
    expect(peer.cbsRequests.at(-1)).toEqual({
      audience: `${peer.endpoint}triggers`,
      status: 202,
    });
  });

  it("refuses a wrong key at put-token: UnauthorizedError", async () => {
    const c = client(peer.connectionString({ keyName: "send", key: "wrong" }), "triggers");
    await expect(c.createBatch()).rejects.toMatchObject({ code: "UnauthorizedError" });
    expect(peer.cbsRequests.at(-1)).toMatchObject({ status: 401, reason: /InvalidSignature/ });
  });

  it("refuses an unknown hub: MessagingEntityNotFoundError", async () => {
    const c = client(peer.connectionString(), "nope");
    await expect(c.createBatch()).rejects.toMatchObject({ code: "MessagingEntityNotFoundError" });
  });

  it("rejects a transfer when told to, as the service does when throttling", async () => {
    const c = client(peer.connectionString(), "triggers");
    peer.onTransfer = () => ({
      condition: "com.microsoft:server-busy",
      description: "The request was terminated because the namespace is being throttled.",
    });
    try {
      const before = peer.events.length;
      await expect(c.sendBatch([{ body: "x" }])).rejects.toMatchObject({
        code: "ServerBusyError",
      });
      expect(peer.events.length).toBe(before);
    } finally {
      peer.onTransfer = () => undefined;
    }
    await c.sendBatch([{ body: "x" }]);
  });
});
