// The Kinesis worker against a real nats-server and moto's server (Kinesis and STS, from PyPI), with
// moto's IAM authentication on: records must be signed by keys moto issued and be allowed by their
// principal's policies. The real @aws-sdk/client-kinesis goes through the real delivery worker.
//
// Partial PutRecords failures (per-record ProvisionedThroughputExceeded / InternalFailure) cannot be
// provoked on moto, which never throttles; their mapping is unit-tested on the API reference's
// response (src/delivery/kinesis-outcome.test.ts). Retry-then-success is exercised here through a
// failure moto does produce: a stream that does not exist yet and is created later.

import { type AddressInfo, createServer, type Socket } from "node:net";
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
} from "@aws-sdk/client-kinesis";
import type { JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { KinesisRecord, SubscriptionRecord } from "../../src/controller/records.ts";
import { createDeliveryChannel } from "../../src/delivery/run.ts";
import type { DeliveryWorker } from "../../src/delivery/worker.ts";
import type { Buckets } from "../../src/nats/bootstrap.ts";
import { HEADER } from "../../src/nats/names.ts";
import { enableIam, type MotoIam, type MotoServer, startMotoServer } from "../harness/moto.ts";
import { type NatsServer, startNatsServer } from "../harness/nats.ts";
import {
  connectSession,
  deadLetterCount,
  laneDrained,
  newSubscriptionId,
  type Published,
  payload,
  publishInOrder,
  putRecord,
  readStats,
  requireDeadLetter,
  runCleanups,
  startTestWorker,
  subscribe,
  testRecord,
  until,
  untilCounted,
} from "./delivery-support.ts";

const REGION = "us-east-1";

let nats: NatsServer;
let moto: MotoServer;
let iam: MotoIam;
let nc: NatsConnection;
let jsm: JetStreamManager;
let buckets: Buckets;
/** The tests' own client: creates streams and reads them back. */
let admin: KinesisClient;
const cleanups: (() => Promise<void>)[] = [];

/** On a fresh clone the harness installs moto first (tools/python-peers.sh: minutes, not seconds). */
const SETUP_TIMEOUT_MS = 15 * 60_000;

beforeAll(async () => {
  [nats, moto] = await Promise.all([startNatsServer(), startMotoServer()]);
  iam = await enableIam(moto, REGION);
  // HTTP/1.1: the client's default HTTP/2 handler does not speak to moto.
  admin = new KinesisClient({
    region: REGION,
    endpoint: moto.endpoint,
    credentials: iam.admin,
    requestHandler: new NodeHttpHandler(),
  });
  ({ nc, buckets, jsm } = await connectSession("delivery-kinesis-test", nats.url));
}, SETUP_TIMEOUT_MS);

afterEach(async () => {
  await runCleanups(cleanups);
});

afterAll(async () => {
  admin?.destroy();
  await nc?.close();
  await Promise.all([nats?.stop(), moto?.stop()]);
});

function worker(): Promise<DeliveryWorker> {
  return startTestWorker({ nc, buckets, channel: createDeliveryChannel("kinesis"), cleanups });
}

function kinesisSubscription(
  id: string,
  kinesis: KinesisRecord,
  delivery: Partial<SubscriptionRecord["delivery"]> = {},
): SubscriptionRecord {
  return testRecord(id, "kinesis", { kinesis }, delivery);
}

async function createStream(name: string, shards = 2): Promise<void> {
  await admin.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await until("stream ACTIVE", async () => {
    const d = await admin.send(new DescribeStreamCommand({ StreamName: name }));
    return d.StreamDescription?.StreamStatus === "ACTIVE";
  });
}

interface StreamRecord {
  readonly partitionKey: string;
  readonly data: string;
  readonly shardId: string;
}

/** Every record of the stream, shard by shard, each shard in sequence order. */
async function readStream(name: string): Promise<StreamRecord[]> {
  const d = await admin.send(new DescribeStreamCommand({ StreamName: name }));
  const out: StreamRecord[] = [];
  for (const shard of d.StreamDescription?.Shards ?? []) {
    const it = await admin.send(
      new GetShardIteratorCommand({
        StreamName: name,
        ShardId: shard.ShardId,
        ShardIteratorType: "TRIM_HORIZON",
      }),
    );
    let iterator = it.ShardIterator;
    // Bounded: moto answers a shard's records in one page; a few more pages at most.
    for (let page = 0; iterator && page < 20; page++) {
      const r = await admin.send(new GetRecordsCommand({ ShardIterator: iterator }));
      const records = r.Records ?? [];
      for (const rec of records) {
        out.push({
          partitionKey: rec.PartitionKey!,
          data: Buffer.from(rec.Data!).toString("utf8"),
          shardId: shard.ShardId!,
        });
      }
      if (records.length === 0) break;
      iterator = r.NextShardIterator;
    }
  }
  return out;
}

/** Publishes deliveries as the evaluator does, to the kinesis channel's subject, in order. */
function publish(
  subscriptionId: string,
  messages: readonly { user: string; index: number; extra?: Record<string, unknown> }[],
): Promise<Published[]> {
  return publishInOrder(nc, "kinesis", subscriptionId, messages);
}

const deadLetters = (subscriptionId: string) => deadLetterCount(jsm, subscriptionId, "kinesis");
const deadLetter = (subscriptionId: string) => requireDeadLetter(jsm, subscriptionId, "kinesis");

/** users × perUser messages, interleaved. */
function interleaved(users: number, perUser: number) {
  const out: { user: string; index: number; extra: Record<string, unknown> }[] = [];
  for (let i = 0; i < perUser; i++)
    for (let u = 0; u < users; u++)
      out.push({ user: `user${u}`, index: i, extra: { account: `acct-${u}` } });
  return out;
}

function indicesByKey(records: readonly StreamRecord[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of records) {
    const index = (JSON.parse(r.data) as { data: { index: number } }).data.index;
    out.set(r.partitionKey, [...(out.get(r.partitionKey) ?? []), index]);
  }
  return out;
}

describe("kinesis delivery worker", () => {
  it("puts the payload bytes with the identifier field as partition key, in order per user", async () => {
    const w = await worker();
    const stream = `s-${newSubscriptionId()}`;
    await createStream(stream);
    const byField = newSubscriptionId();
    const byUser = newSubscriptionId();
    const settings = { region: REGION, stream, endpoint: moto.endpoint, credentials: iam.admin };
    await putRecord(
      jsm,
      buckets.registry,
      kinesisSubscription(byField, { ...settings, identifierField: "account" }, { maxInFlight: 8 }),
    );
    await putRecord(jsm, buckets.registry, kinesisSubscription(byUser, settings));
    await w.whenConsuming(byField);
    await w.whenConsuming(byUser);
    const sentByField = await publish(byField, interleaved(4, 5));
    const sentByUser = await publish(byUser, [
      { user: "solo", index: 0 },
      { user: "solo", index: 1, extra: { account: "ignored-without-identifier-field" } },
    ]);

    await until("22 records", async () => (await readStream(stream)).length >= 22);
    await until(
      "lanes drained",
      async () => (await laneDrained(jsm, byField)) && laneDrained(jsm, byUser),
    );
    const records = await readStream(stream);
    expect(records).toHaveLength(22);
    // Exactly the bytes the evaluator published.
    expect(records.map((r) => r.data).sort()).toEqual(
      [...sentByField, ...sentByUser].map((s) => s.body).sort(),
    );
    const order = indicesByKey(records);
    for (let u = 0; u < 4; u++) expect(order.get(`acct-${u}`)).toEqual([0, 1, 2, 3, 4]);
    expect(order.get("solo")).toEqual([0, 1]);
    // One key, one shard: that is what keeps the order on the consumer's side.
    for (const key of order.keys()) {
      expect(
        new Set(records.filter((r) => r.partitionKey === key).map((r) => r.shardId)).size,
      ).toBe(1);
    }
    await untilCounted(buckets.status, byField, "delivered", 20);
    const stats = await readStats(buckets.status, byField);
    expect(stats).toMatchObject({ delivered: 20, failed: 0, deadLettered: 0, lastError: null });
    expect(Date.parse(stats!.lastDeliveryTime!)).not.toBeNaN();
  });

  it("assumes the role through STS; the base key alone is refused and dead-lettered with the error", async () => {
    const w = await worker();
    const stream = `s-${newSubscriptionId()}`;
    await createStream(stream, 1);
    const base = { region: REGION, stream, endpoint: moto.endpoint, credentials: iam.base };
    const viaRole = newSubscriptionId();
    const withoutRole = newSubscriptionId();
    const powerless = newSubscriptionId();
    await putRecord(
      jsm,
      buckets.registry,
      kinesisSubscription(viaRole, {
        ...base,
        roleArn: iam.writerRoleArn,
        externalId: "segwatch-test",
      }),
    );
    await putRecord(jsm, buckets.registry, kinesisSubscription(withoutRole, base));
    await putRecord(
      jsm,
      buckets.registry,
      kinesisSubscription(powerless, { ...base, roleArn: iam.powerlessRoleArn }),
    );
    for (const id of [viaRole, withoutRole, powerless]) await w.whenConsuming(id);
    const sent = await publish(viaRole, [
      { user: "u1", index: 0 },
      { user: "u1", index: 1 },
    ]);
    const [refused] = await publish(withoutRole, [{ user: "u2", index: 0 }]);
    await publish(powerless, [{ user: "u3", index: 0 }]);

    await until("delivered through the role", async () => (await readStream(stream)).length >= 2);
    await until(
      "both refusals dead-lettered",
      async () => (await deadLetters(withoutRole)) === 1 && (await deadLetters(powerless)) === 1,
    );
    const records = await readStream(stream);
    expect(records.map((r) => r.data)).toEqual(sent.map((s) => s.body));
    expect(records.map((r) => r.partitionKey)).toEqual(["u1", "u1"]);

    const dl = await deadLetter(withoutRole);
    expect(dl.string()).toBe(refused!.body);
    expect(dl.header.get(HEADER.msgId)).toBe(refused!.msgId);
    expect(dl.header.get(HEADER.attempts)).toBe("1");
    // moto answers a refused request with HTTP 403 (in an XML body the JSON client cannot read).
    expect(dl.header.get(HEADER.error)).toMatch(/^kinesis PutRecords: HTTP 403/);
    expect((await deadLetter(powerless)).header.get(HEADER.error)).toMatch(
      /^kinesis PutRecords: HTTP 403/,
    );
    await untilCounted(buckets.status, withoutRole, "deadLettered", 1);
    expect(await readStats(buckets.status, withoutRole)).toMatchObject({
      delivered: 0,
      failed: 1,
      deadLettered: 1,
      lastError: expect.stringMatching(/^kinesis PutRecords: HTTP 403/),
    });
    await untilCounted(buckets.status, viaRole, "delivered", 2);
  });

  it("dead-letters at once when STS refuses the base credentials", async () => {
    const w = await worker();
    const id = newSubscriptionId();
    await putRecord(
      jsm,
      buckets.registry,
      kinesisSubscription(id, {
        region: REGION,
        stream: "never-reached",
        endpoint: moto.endpoint,
        roleArn: iam.writerRoleArn,
        credentials: { accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: "nope" },
      }),
    );
    await w.whenConsuming(id);
    await publish(id, [{ user: "u", index: 0 }]);
    await until("dead letter", async () => (await deadLetters(id)) === 1);
    expect((await deadLetter(id)).header.get(HEADER.error)).toMatch(
      new RegExp(
        `^kinesis PutRecords: assuming role ${iam.writerRoleArn.replace(/[/]/g, "\\/")}: .*InvalidClientTokenId`,
      ),
    );
  });

  it("retries while the stream does not exist, then delivers in order once it is created", async () => {
    const w = await worker();
    const id = newSubscriptionId();
    const stream = `late-${id}`;
    await subscribe(
      jsm,
      buckets.registry,
      w,
      kinesisSubscription(
        id,
        { region: REGION, stream, endpoint: moto.endpoint, credentials: iam.admin },
        { maxAttempts: 1_000 },
      ),
    );
    const sent = await publish(id, [
      { user: "u", index: 0 },
      { user: "u", index: 1 },
      { user: "u", index: 2 },
    ]);
    await until(
      "a failed attempt counted",
      async () => ((await readStats(buckets.status, id))?.failed ?? 0) >= 2,
    );
    expect((await readStats(buckets.status, id))?.lastError).toMatch(
      /^kinesis PutRecords: HTTP 400: ResourceNotFoundException/,
    );
    await createStream(stream, 1);

    await until("3 records", async () => (await readStream(stream)).length >= 3);
    await until("lane drained", () => laneDrained(jsm, id));
    expect((await readStream(stream)).map((r) => r.data)).toEqual(sent.map((s) => s.body));
    await untilCounted(buckets.status, id, "delivered", 3);
    expect(await readStats(buckets.status, id)).toMatchObject({ delivered: 3, deadLettered: 0 });
    expect(await deadLetters(id)).toBe(0);
  });

  it("dead-letters a record over 1 MiB with its partition key, and the user's next message follows", async () => {
    const w = await worker();
    const stream = `s-${newSubscriptionId()}`;
    await createStream(stream, 1);
    const id = newSubscriptionId();
    await subscribe(
      jsm,
      buckets.registry,
      w,
      kinesisSubscription(id, {
        region: REGION,
        stream,
        endpoint: moto.endpoint,
        credentials: iam.admin,
        identifierField: "account",
      }),
    );
    // A 256-character key of 4-byte characters (1 KiB) on a payload just under NATS's 1 MiB message
    // limit (headers included): the record, payload and key together, is over Kinesis's 1 MiB.
    const key = "🦘".repeat(256);
    const withoutPadding = payload(id, "u", 0);
    const size = Buffer.byteLength(
      JSON.stringify({
        ...withoutPadding,
        data: { ...withoutPadding.data, account: key, padding: "" },
      }),
    );
    const padding = "x".repeat(1024 * 1024 - 512 - size);
    const [big] = await publish(id, [{ user: "u", index: 0, extra: { account: key, padding } }]);
    expect(Buffer.byteLength(big!.body) + Buffer.byteLength(key)).toBeGreaterThan(1024 * 1024);
    const [next] = await publish(id, [{ user: "u", index: 1, extra: { account: key } }]);

    await until("dead letter", async () => (await deadLetters(id)) === 1);
    await until("next delivered", async () => (await readStream(stream)).length >= 1);
    const dl = await deadLetter(id);
    expect(dl.header.get(HEADER.msgId)).toBe(big!.msgId);
    expect(dl.header.get(HEADER.error)).toMatch(
      /^kinesis: record of \d+ bytes \(payload and partition key\) exceeds the Kinesis limit of 1048576 bytes$/,
    );
    const records = await readStream(stream);
    expect(records.map((r) => [r.partitionKey, r.data])).toEqual([[key, next!.body]]);
  });

  it("retries a call that gets no answer within the subscription's timeout", async () => {
    // A peer that accepts connections and never answers.
    const sockets = new Set<Socket>();
    const silent = createServer((s) => {
      sockets.add(s);
      s.on("data", () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          silent.close(() => resolve());
        }),
    );
    const w = await worker();
    const id = newSubscriptionId();
    await subscribe(
      jsm,
      buckets.registry,
      w,
      kinesisSubscription(
        id,
        {
          region: REGION,
          stream: "silent",
          endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
          credentials: iam.admin,
        },
        { timeoutMs: 300, maxAttempts: 2 },
      ),
    );
    await publish(id, [{ user: "u", index: 0 }]);
    await until("dead letter", async () => (await deadLetters(id)) === 1);
    const dl = await deadLetter(id);
    expect(dl.header.get(HEADER.error)).toBe(
      "kinesis PutRecords: no answer within 300 ms (gave up after 2 attempts)",
    );
    expect(dl.header.get(HEADER.attempts)).toBe("2");
  });

  it("dead-letters a subscription whose settings are unusable, naming the setting", async () => {
    const w = await worker();
    const id = newSubscriptionId();
    await subscribe(
      jsm,
      buckets.registry,
      w,
      kinesisSubscription(id, { region: REGION, stream: "not a stream!", endpoint: moto.endpoint }),
    );
    await publish(id, [{ user: "u", index: 0 }]);
    await until("dead letter", async () => (await deadLetters(id)) === 1);
    expect((await deadLetter(id)).header.get(HEADER.error)).toBe(
      `subscription ${id}: kinesis stream "not a stream!" is neither a stream name nor a stream ARN`,
    );
    await untilCounted(buckets.status, id, "deadLettered", 1);
  });
});
