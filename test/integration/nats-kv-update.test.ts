// updateKv against a real nats-server: concurrent writers lose no increment, a key that keeps being
// written under it fails with a typed error, and corrupt or deleted values start over.
import { type KV, Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KvUpdateConflictError, updateKv } from "../../src/nats/kv-update.ts";
import { type NatsServer, startNatsServer } from "../harness/nats.ts";

let server: NatsServer;
let nc: NatsConnection;
let kv: KV;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url, noAsyncTraces: true });
  kv = await new Kvm(nc).create("kv-update-test");
});

afterAll(async () => {
  await nc?.drain();
  await server?.stop();
});

const increment = (c: { n: number } | undefined) => ({ n: (c?.n ?? 0) + 1 });

describe("updateKv", () => {
  it("keeps every increment of writers racing on one key", async () => {
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 10; i++) await updateKv(kv, "counter", increment, 100);
      }),
    );
    expect((await kv.get("counter"))?.json()).toEqual({ n: 40 });
  });

  it("throws KvUpdateConflictError with the last conflict as cause when it keeps losing", async () => {
    let calls = 0;
    const error = await updateKv<{ n: number }>(
      kv,
      "contended",
      (c) => {
        calls++;
        // Another writer between this read and this write, every time.
        void kv.put("contended", JSON.stringify({ n: -calls }));
        return increment(c);
      },
      3,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KvUpdateConflictError);
    expect((error as KvUpdateConflictError).key).toBe("contended");
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(calls).toBe(3);
  });

  it("starts over from a corrupt or deleted value", async () => {
    await kv.put("corrupt", "{not json");
    await updateKv(kv, "corrupt", increment);
    expect((await kv.get("corrupt"))?.json()).toEqual({ n: 1 });
    await kv.delete("corrupt");
    await updateKv(kv, "corrupt", increment);
    expect((await kv.get("corrupt"))?.json()).toEqual({ n: 1 });
  });
});
