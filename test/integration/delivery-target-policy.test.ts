// The webhook channel on its own (no NATS): the target policy at the socket, with a fake resolver
// standing in for DNS (a name that resolves to an internal address is how DNS rebinding attacks).
import type { LookupAddress } from "node:dns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SubscriptionRecord } from "../../src/controller/records.ts";
import type { DeliveryChannel, DeliveryItem } from "../../src/delivery/channel.ts";
import type { LookupAll } from "../../src/delivery/guarded-connect.ts";
import { createWebhookChannel } from "../../src/delivery/webhook.ts";
import { type Receiver, startReceiver, subscriptionRecord } from "./delivery-support.ts";

let r: Receiver;
const channels: DeliveryChannel[] = [];

beforeAll(async () => {
  r = await startReceiver();
});

afterAll(async () => {
  for (const c of channels) await c.destroy();
  await r?.close();
});

/** Resolves every name in `names` to loopback; anything else does not exist. */
const fakeDns =
  (names: Record<string, LookupAddress[]>): LookupAll =>
  (hostname, _opts, cb) => {
    const a = names[hostname];
    if (a) cb(null, a);
    else
      cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }), []);
  };

function channel(opts: Parameters<typeof createWebhookChannel>[0]): DeliveryChannel {
  const c = createWebhookChannel(opts);
  channels.push(c);
  return c;
}

function item(id = "m1"): DeliveryItem {
  return {
    envelope: { msgId: id, namespace: "acme", subscriptionId: "s", userKey: "u", lane: "live" },
    body: Buffer.from(JSON.stringify({ data: { user_id: "u" } })),
    attempt: 1,
    progress: new Set(),
  };
}

function record(url: string, webhook: Partial<NonNullable<SubscriptionRecord["webhook"]>> = {}) {
  return subscriptionRecord("s", url, { webhook });
}

describe("webhook target policy", () => {
  const port = () => new URL(r.url).port;
  const dns = fakeDns({
    "rebind.test": [{ address: "127.0.0.1", family: 4 }],
    "inside.test": [{ address: "10.1.2.3", family: 4 }],
  });

  it("refuses a name that resolves to loopback, before connecting", async () => {
    const before = r.connections();
    const c = channel({ lookup: dns });
    const [o] = await c.open(record(`http://rebind.test:${port()}/hook`)).deliver([item()]);
    expect(o).toEqual({
      kind: "permanent",
      error: expect.stringContaining("target rebind.test (127.0.0.1) refused: loopback address"),
    });
    expect(r.connections()).toBe(before);
  });

  it("refuses private addresses unless allowed", async () => {
    const c = channel({ lookup: dns, targetPolicy: { allowLoopback: true } });
    const [o] = await c.open(record("http://inside.test:9/hook")).deliver([item()]);
    expect(o).toMatchObject({
      kind: "permanent",
      error: expect.stringContaining("private address"),
    });
  });

  it("refuses IP literals, v4 and v6", async () => {
    const c = channel({});
    for (const url of [
      `http://127.0.0.1:${port()}/`,
      `http://[::1]:${port()}/`,
      "http://169.254.169.254/",
    ]) {
      const [o] = await c.open(record(url)).deliver([item()]);
      expect(o).toMatchObject({
        kind: "permanent",
        error: expect.stringMatching(/refused: (loopback|link-local)/),
      });
    }
  });

  it("connects to the resolved address when the class is allowed", async () => {
    const c = channel({ lookup: dns, targetPolicy: { allowLoopback: true } });
    const n = r.requests.length;
    const [o] = await c.open(record(`http://rebind.test:${port()}/named`)).deliver([item()]);
    expect(o).toEqual({ kind: "success" });
    expect(r.requests[n]!.headers.host).toBe(`rebind.test:${port()}`);
  });

  it("retries when the name does not resolve", async () => {
    const c = channel({ lookup: dns });
    const [o] = await c.open(record("http://missing.test/")).deliver([item()]);
    expect(o).toMatchObject({ kind: "retry", error: expect.stringContaining("ENOTFOUND") });
  });
});

describe("webhook channel settings", () => {
  it("refuses a record it cannot deliver with", () => {
    const c = channel({ targetPolicy: { allowLoopback: true } });
    expect(() => c.open(record("ftp://example.com/x"))).toThrow(/not an http\(s\) URL/);
    expect(() => c.open(record(r.url, { signingSecrets: ["whsec_!!"] }))).toThrow(/signing secret/);
    expect(() => c.open({ ...record(r.url), webhook: undefined })).toThrow(/no webhook URL/);
  });

  it("dead-letters an invalid header value rather than retrying it", async () => {
    const c = channel({ targetPolicy: { allowLoopback: true } });
    const [o] = await c.open(record(r.url, { headers: { "x-bad": "a\nb" } })).deliver([item()]);
    expect(o!.kind).toBe("permanent");
  });

  it("keeps the subscription's headers but not the ones the request owns", async () => {
    const c = channel({ targetPolicy: { allowLoopback: true } });
    const n = r.requests.length;
    const hook = record(`http://user:p%40ss@${new URL(r.url).host}/auth`, {
      headers: {
        Host: "evil.test",
        "Content-Type": "text/plain",
        "X-Custom": "1",
        "webhook-id": "forged",
      },
    });
    const [o] = await c.open(hook).deliver([item("real-id")]);
    expect(o).toEqual({ kind: "success" });
    const got = r.requests[n]!.headers;
    expect(got.host).toBe(new URL(r.url).host);
    expect(got["content-type"]).toBe("application/json");
    expect(got["x-custom"]).toBe("1");
    expect(got["webhook-id"]).toBe("real-id");
    expect(got.authorization).toBe(`Basic ${Buffer.from("user:p@ss").toString("base64")}`);
  });

  it("stops signing with the previous secret once its rotation window has passed", async () => {
    let now = Date.parse("2026-05-01T00:00:00Z");
    const c = channel({ targetPolicy: { allowLoopback: true }, now: () => now });
    const target = c.open(
      record(r.url, {
        signingSecrets: ["new secret", "old secret"],
        previousSigningSecretExpiresAt: "2026-05-01T00:01:00Z",
      }),
    );
    const n = r.requests.length;
    await target.deliver([item("a")]);
    now += 120_000;
    await target.deliver([item("b")]);
    expect(String(r.requests[n]!.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    expect(String(r.requests[n + 1]!.headers["webhook-signature"]).split(" ")).toHaveLength(1);
  });
});
