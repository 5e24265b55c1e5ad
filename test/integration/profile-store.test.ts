// ProfileStore against a real nats-server: every write is a compare-and-set on the revision the
// store read or wrote last, so a write based on what another writer has since replaced is refused
// (and succeeds once the profile is read again) — the guard behind a partition changing owners.
import type { KV } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProfileStore, profileKvKey } from "../../src/evaluator/profile-store.ts";
import { bootstrap } from "../../src/nats/bootstrap.ts";
import { JetStreamPublisher, PublishError } from "../../src/nats/publisher.ts";
import { mergeEvent, type StoredProfile } from "../../src/profile/profile.ts";
import { type NatsServer, startNatsServer } from "../harness/nats.ts";

let server: NatsServer;
let nc: NatsConnection;
let kv: KV;
let publisher: JetStreamPublisher;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url, noAsyncTraces: true });
  kv = (await bootstrap(nc, { storage: "memory" })).profiles;
  publisher = new JetStreamPublisher(nc);
});

afterAll(async () => {
  publisher?.close();
  await nc?.drain();
  await server?.stop();
});

const identity = (key: string) => ({ key, field: "user_id", value: key });
const NOW = new Date("2026-01-01T00:00:00Z");

describe("ProfileStore writes", () => {
  it("stores a new profile, then refuses a write based on one another writer replaced", async () => {
    const store = new ProfileStore(kv, publisher);
    const key = profileKvKey("ns", 0, "u1");
    const p = await store.load(key, identity("u1"), {}, NOW);
    mergeEvent(p, { plan: "a" }, {}, NOW);
    await store.saveAll([{ kvKey: key, profile: p }]);

    // Another owner writes the same profile meanwhile.
    const other = new ProfileStore(kv, publisher);
    const theirs = (await other.get(key, {}))!;
    mergeEvent(theirs, { plan: "theirs" }, {}, NOW);
    await other.saveAll([{ kvKey: key, profile: theirs }]);

    mergeEvent(p, { plan: "late" }, {}, NOW);
    const refused = await store.saveAll([{ kvKey: key, profile: p }]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PublishError);
    expect((await kv.get(key))?.json<StoredProfile>().fields.plan).toBe("theirs");

    // Read again, the write goes through.
    store.evict([key]);
    const fresh = (await store.get(key, {}))!;
    mergeEvent(fresh, { plan: "after" }, {}, NOW);
    await store.saveAll([{ kvKey: key, profile: fresh }]);
    expect((await kv.get(key))?.json<StoredProfile>().fields.plan).toBe("after");
  });

  it("refuses to create a profile another writer created since it was found absent", async () => {
    const store = new ProfileStore(kv, publisher);
    const key = profileKvKey("ns", 1, "u2");
    const mine = await store.load(key, identity("u2"), {}, NOW);
    await kv.put(key, JSON.stringify({ ...mine, fields: { ...mine.fields, plan: "first" } }));
    const refused = await store.saveAll([{ kvKey: key, profile: mine }]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PublishError);
    expect((await kv.get(key))?.json<StoredProfile>().fields.plan).toBe("first");
  });

  it("writes over a deleted profile (its delete marker's revision is the one expected)", async () => {
    const store = new ProfileStore(kv, publisher);
    const key = profileKvKey("ns", 2, "u3");
    await kv.put(key, "{}");
    await kv.delete(key);
    const p = await store.load(key, identity("u3"), {}, NOW);
    mergeEvent(p, { plan: "back" }, {}, NOW);
    await store.saveAll([{ kvKey: key, profile: p }]);
    expect((await kv.get(key))?.json<StoredProfile>().fields.plan).toBe("back");
  });
});
