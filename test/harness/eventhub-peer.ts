// An AMQP 1.0 peer that speaks as much of Azure Event Hubs as a producer needs, built on rhea (the
// library beneath @azure/event-hubs), so the real SDK can be tested with no Azure account and no
// Docker. It listens on 127.0.0.1 without TLS, which the SDK uses for connection strings with
// `UseDevelopmentEmulator=true` (core-amqp ConnectionContextBase: TCP instead of TLS, the Endpoint's
// port), and implements:
//
// - SASL ANONYMOUS (what the SDK offers: a key name without a password) and PLAIN;
// - the CBS node `$cbs`: put-token requests whose SharedAccessSignature is checked against the
//   namespace's keys (status 202; 401 for a bad, expired or foreign token, which the SDK turns into
//   UnauthorizedError). Each granted audience authorizes later links on that connection;
// - the management node `$management`: READ of `com.microsoft:eventhub` and `com.microsoft:partition`;
// - sender links (receiver links here) to `<hub>` and `<hub>/Partitions/<id>`: each transfer (a batch,
//   message format 0x80013700, whose data sections are the encoded events; or a single event) is
//   decoded and recorded with its partition key (`x-opt-partition-key`) and partition;
// - failures on request: `onTransfer` may reject a transfer with any AMQP error (e.g.
//   com.microsoft:server-busy), hold it unsettled, or drop the connection; an unknown hub gets
//   amqp:not-found, and a link without a granted token amqp:unauthorized-access, as the service does.

import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import type { Server, Socket } from "node:net";
import rhea from "rhea";
import { covers, validateSas } from "./eventhub-sas.ts";

/** Message format of a batch of events (the SDK's EventDataBatch). */
export const BATCH_FORMAT = 0x80013700;
const PARTITION_KEY_ANNOTATION = "x-opt-partition-key";
const DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024;

export interface EventHubPeerOptions {
  /** Hubs and their partition counts. Default: { "segwatch-test": 4 }. */
  readonly hubs?: Readonly<Record<string, number>>;
  /** Shared access keys, name → key. Default: one random key named "RootManageSharedAccessKey". */
  readonly keys?: Readonly<Record<string, string>>;
  /** The max-message-size offered on sender links (the SDK's batch limit). Default 1 MiB. */
  readonly maxMessageSize?: number;
}

export interface ReceivedEvent {
  readonly hub: string;
  readonly partitionId: string;
  readonly partitionKey: string | undefined;
  readonly messageId: string | undefined;
  readonly contentType: string | undefined;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly body: Buffer;
  /** Number of the transfer that carried it (1-based, in arrival order). */
  readonly transfer: number;
  /** Sequence number within its partition. */
  readonly sequenceNumber: number;
}

export interface TransferInfo {
  readonly number: number;
  readonly hub: string;
  readonly partitionKey: string | undefined;
  readonly format: number;
  readonly events: readonly Omit<
    ReceivedEvent,
    "hub" | "transfer" | "sequenceNumber" | "partitionId"
  >[];
}

export type TransferVerdict =
  | undefined
  | "accept"
  /** Leave it unsettled until the peer closes. */
  | "hold"
  /** Destroy the connection's socket, as a network failure would. */
  | "drop"
  | { readonly condition: string; readonly description: string };

export interface CbsRequest {
  readonly audience: string;
  readonly status: number;
  readonly reason?: string;
}

export interface EventHubPeer {
  readonly port: number;
  /** sb://127.0.0.1:<port>/ */
  readonly endpoint: string;
  readonly keys: Readonly<Record<string, string>>;
  /** A connection string for the SDK; the first key unless told otherwise. */
  connectionString(opts?: { keyName?: string; key?: string; entityPath?: string }): string;
  /** Accepted events, in arrival order. */
  readonly events: ReceivedEvent[];
  /** Every transfer seen on a hub link, accepted or not. */
  readonly transfers: TransferInfo[];
  readonly cbsRequests: CbsRequest[];
  /** Decides each transfer's fate; accept when it returns undefined. */
  onTransfer: (t: TransferInfo) => TransferVerdict;
  /** AMQP connections open now. */
  openConnections(): number;
  /** Connections accepted so far. */
  connectionsAccepted(): number;
  /** Destroys every connection's socket. */
  dropConnections(): void;
  close(): Promise<void>;
}

type Connection = rhea.Connection;
type Sender = rhea.Sender;
type Receiver = rhea.Receiver;
type Delivery = rhea.Delivery;

interface ConnectionState {
  /** Paths of the audiences granted by put-token ("/hub", "/hub/partitions/0"). */
  readonly granted: string[];
  /** Sender links (reply links of $cbs and $management clients) by link name and target address. */
  readonly replyLinks: Map<string, Sender>;
}

interface Section {
  readonly typecode: number;
  readonly content: unknown;
  readonly multiple?: boolean;
}

export async function startEventHubPeer(opts: EventHubPeerOptions = {}): Promise<EventHubPeer> {
  const hubs = new Map<string, { name: string; partitions: number; createdAt: Date }>();
  for (const [name, partitions] of Object.entries(opts.hubs ?? { "segwatch-test": 4 }))
    hubs.set(name.toLowerCase(), { name, partitions, createdAt: new Date() });
  const keyRecord = opts.keys ?? { RootManageSharedAccessKey: randomBytes(32).toString("base64") };
  const keys = new Map(Object.entries(keyRecord));
  const maxMessageSize = opts.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;

  const events: ReceivedEvent[] = [];
  const transfers: TransferInfo[] = [];
  const cbsRequests: CbsRequest[] = [];
  const states = new WeakMap<Connection, ConnectionState>();
  const receiverAddress = new WeakMap<Receiver, string>();
  const open = new Set<Connection>();
  const sockets = new Set<Socket>();
  const held: Delivery[] = [];
  const sequence = new Map<string, number>();
  let accepted = 0;
  let roundRobin = 0;

  const container = rhea.create_container({ id: "segwatch-eventhub-peer", autoaccept: false });
  container.sasl_server_mechanisms.enable_anonymous();
  container.sasl_server_mechanisms.enable_plain(
    (user: string, pass: string) => keys.get(user) === pass,
  );
  // Link and connection errors are the clients' business; they must not crash the test process.
  container.on("error", () => {});

  // tcp_no_delay is a connection option rhea reads from the listen options (not in its typings).
  const listenOptions = { port: 0, host: "127.0.0.1", tcp_no_delay: true };
  const server = container.listen(listenOptions) as Server;
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  const endpoint = `sb://127.0.0.1:${port}/`;

  const stateOf = (c: Connection): ConnectionState => {
    let s = states.get(c);
    if (!s) {
      s = { granted: [], replyLinks: new Map() };
      states.set(c, s);
    }
    return s;
  };
  const pathOf = (uri: string): string => {
    try {
      return new URL(uri).pathname.toLowerCase();
    } catch {
      return `/${uri.toLowerCase()}`;
    }
  };
  /** The hub and partition an address names ("hub", "hub/Partitions/2"), if the hub exists. */
  const hubAddress = (address: string) => {
    const m = /^([^/]+)(?:\/Partitions\/([^/]+))?$/i.exec(address);
    if (!m) return undefined;
    const hub = hubs.get(m[1]!.toLowerCase());
    return { hubName: m[1]!, hub, partitionId: m[2] };
  };
  const notFound = (what: string) => ({
    condition: "amqp:not-found",
    description: `The messaging entity '${endpoint}${what}' could not be found. To know more visit https://aka.ms/sbResourceMgrExceptions.`,
  });

  container.on("connection_open", (ctx: rhea.EventContext) => {
    accepted++;
    const c = ctx.connection;
    open.add(c);
    stateOf(c);
    // rhea does not notice a socket destroyed on this side (dropConnections, a "drop" verdict).
    (c as unknown as { socket?: Socket }).socket?.once("close", () => open.delete(c));
  });
  const forget = (ctx: rhea.EventContext) => {
    open.delete(ctx.connection);
  };
  container.on("connection_close", forget);
  container.on("disconnected", forget);

  // The client's receivers: the reply links of its $cbs and $management request/response pairs.
  container.on("sender_open", (ctx: rhea.EventContext) => {
    const sender = ctx.sender!;
    const remote = (sender as unknown as { remote: { attach: rhea.Dictionary<any> } }).remote
      .attach;
    const source = remote.source?.address as string | undefined;
    const target = remote.target?.address as string | undefined;
    if (source !== "$cbs" && source !== "$management") {
      sender.close({
        condition: "amqp:not-implemented",
        description: `this peer takes events only; no receiving from ${source}`,
      });
      return;
    }
    sender.set_source({ address: source });
    if (target) sender.set_target({ address: target });
    const state = stateOf(ctx.connection);
    state.replyLinks.set(sender.name, sender);
    if (target) state.replyLinks.set(target, sender);
  });

  // The client's senders: requests to $cbs / $management, and events to hubs and partitions.
  container.on("receiver_open", (ctx: rhea.EventContext) => {
    const receiver = ctx.receiver!;
    const remote = (receiver as unknown as { remote: { attach: rhea.Dictionary<any> } }).remote
      .attach;
    const address = (remote.target?.address as string | undefined) ?? "";
    receiver.set_target({ address });
    receiverAddress.set(receiver, address);
    if (address === "$cbs" || address === "$management") return;
    const target = hubAddress(address);
    if (!target?.hub) {
      receiver.close(notFound(target?.hubName ?? address));
      return;
    }
    if (
      target.partitionId !== undefined &&
      !partitionIds(target.hub).includes(target.partitionId)
    ) {
      receiver.close({
        condition: "com.microsoft:argument-out-of-range",
        description: `The specified partition is invalid for an EventHub partition sender or receiver. It should be between 0 and ${target.hub.partitions - 1}.`,
      });
      return;
    }
    const path = `/${address.toLowerCase()}`;
    if (!stateOf(ctx.connection).granted.some((g) => covers(g, path))) {
      receiver.close({
        condition: "amqp:unauthorized-access",
        description: "Unauthorized access. 'Send' claim(s) are required to perform this operation.",
      });
      return;
    }
    (
      receiver as unknown as { local: { attach: { max_message_size: number } } }
    ).local.attach.max_message_size = maxMessageSize;
  });

  container.on("message", (ctx: rhea.EventContext) => {
    const receiver = ctx.receiver!;
    const delivery = ctx.delivery!;
    const address = receiverAddress.get(receiver) ?? "";
    if (address === "$cbs") return putToken(ctx);
    if (address === "$management") return management(ctx);
    const format = (ctx as unknown as { format?: number }).format ?? 0;
    const raw = ctx.message as unknown;
    if (Buffer.isBuffer(raw) && raw.length > maxMessageSize) {
      delivery.reject({
        condition: "amqp:link:message-size-exceeded",
        description: `The received message (delivery-id:${delivery.id}, size:${raw.length} bytes) exceeds the limit (${maxMessageSize} bytes) currently allowed on the link.`,
      });
      return;
    }
    let decoded: ReturnType<typeof decodeTransfer>;
    try {
      decoded = decodeTransfer(format, raw);
    } catch (err) {
      delivery.reject({ condition: "amqp:decode-error", description: String(err) });
      return;
    }
    const target = hubAddress(address)!;
    const hub = target.hub!;
    const info: TransferInfo = {
      number: transfers.length + 1,
      hub: hub.name,
      partitionKey: decoded.partitionKey,
      format,
      events: decoded.events,
    };
    transfers.push(info);
    const verdict = peer.onTransfer(info);
    if (verdict === "hold") {
      held.push(delivery);
      return;
    }
    if (verdict === "drop") {
      (ctx.connection as unknown as { socket?: Socket }).socket?.destroy();
      return;
    }
    if (verdict !== undefined && verdict !== "accept") {
      delivery.reject(verdict);
      return;
    }
    const partitionId =
      target.partitionId ??
      (decoded.partitionKey !== undefined
        ? partitionFor(decoded.partitionKey, hub.partitions)
        : String(roundRobin++ % hub.partitions));
    for (const e of decoded.events) {
      const seqKey = `${hub.name}/${partitionId}`;
      const seq = sequence.get(seqKey) ?? 0;
      sequence.set(seqKey, seq + 1);
      events.push({
        ...e,
        hub: hub.name,
        partitionId,
        transfer: info.number,
        sequenceNumber: seq,
      });
    }
    delivery.accept();
  });

  function reply(ctx: rhea.EventContext, status: number, description: string, body?: unknown) {
    const request = ctx.message!;
    ctx.delivery!.accept();
    const to = String(request.reply_to ?? "");
    const link = stateOf(ctx.connection).replyLinks.get(to);
    if (!link) return; // nobody to answer: the client times out, as it would against the service
    link.send({
      correlation_id: request.message_id,
      application_properties: { "status-code": status, "status-description": description },
      body: body ?? null,
    });
  }

  function putToken(ctx: rhea.EventContext) {
    const request = ctx.message!;
    const props = (request.application_properties ?? {}) as Record<string, unknown>;
    const audience = String(props.name ?? "");
    if (props.operation !== "put-token") {
      cbsRequests.push({ audience, status: 400, reason: "unknown operation" });
      return reply(ctx, 400, `unknown operation ${String(props.operation)}`);
    }
    const check = validateSas(request.body, audience, keys, Math.floor(Date.now() / 1000));
    if (!check.ok) {
      cbsRequests.push({ audience, status: 401, reason: check.reason });
      return reply(ctx, 401, check.reason);
    }
    cbsRequests.push({ audience, status: 202 });
    stateOf(ctx.connection).granted.push(pathOf(audience));
    reply(ctx, 202, "Accepted");
  }

  function management(ctx: rhea.EventContext) {
    const request = ctx.message!;
    const props = (request.application_properties ?? {}) as Record<string, unknown>;
    const name = String(props.name ?? "");
    const hub = hubs.get(name.toLowerCase());
    // The SDK sends a token for the hub itself with each request, besides the put-token of the link.
    const token = props.security_token;
    const audiencePath = `/${name.toLowerCase()}`;
    const authorized =
      token !== undefined
        ? validateSas(token, `${endpoint}${name}`, keys, Math.floor(Date.now() / 1000)).ok
        : stateOf(ctx.connection).granted.some((g) => covers(g, audiencePath));
    if (!authorized)
      return reply(ctx, 401, "Unauthorized access. 'Manage' or 'Listen' claim(s) are required.");
    if (props.operation !== "READ")
      return reply(ctx, 400, `unknown operation ${String(props.operation)}`);
    if (!hub) return reply(ctx, 404, notFound(name).description);
    if (props.type === "com.microsoft:eventhub") {
      return reply(ctx, 200, "OK", {
        name: hub.name,
        type: "com.microsoft:eventhub",
        created_at: hub.createdAt,
        partition_count: hub.partitions,
        partition_ids: partitionIds(hub),
      });
    }
    if (props.type === "com.microsoft:partition") {
      const partition = String(props.partition ?? "");
      if (!partitionIds(hub).includes(partition))
        return reply(ctx, 400, `The specified partition ${partition} is invalid.`);
      const count = sequence.get(`${hub.name}/${partition}`) ?? 0;
      const last = [...events]
        .reverse()
        .find((e) => e.hub === hub.name && e.partitionId === partition);
      return reply(ctx, 200, "OK", {
        name: hub.name,
        type: "com.microsoft:partition",
        partition,
        begin_sequence_number: 0,
        last_enqueued_sequence_number: count - 1,
        last_enqueued_offset: String(count - 1),
        last_enqueued_time_utc: new Date(last ? Date.now() : 0),
        is_partition_empty: count === 0,
      });
    }
    return reply(ctx, 400, `unknown type ${String(props.type)}`);
  }

  const peer: EventHubPeer = {
    port,
    endpoint,
    keys: keyRecord,
    connectionString(o = {}) {
      const keyName = o.keyName ?? [...keys.keys()][0]!;
      const key = o.key ?? keys.get(keyName) ?? "";
      return [
        `Endpoint=${endpoint}`,
        `SharedAccessKeyName=${keyName}`,
        `SharedAccessKey=${key}`,
        ...(o.entityPath ? [`EntityPath=${o.entityPath}`] : []),
        "UseDevelopmentEmulator=true",
      ].join(";");
    },
    events,
    transfers,
    cbsRequests,
    onTransfer: () => undefined,
    openConnections: () => open.size,
    connectionsAccepted: () => accepted,
    dropConnections() {
      for (const s of sockets) s.destroy();
    },
    async close() {
      for (const d of held.splice(0)) d.release();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return peer;
}

function partitionIds(hub: { partitions: number }): string[] {
  return Array.from({ length: hub.partitions }, (_, i) => String(i));
}

/** A stable partition for a key (the service hashes differently; tests only need stability). */
export function partitionFor(key: string, partitions: number): string {
  return String(createHash("sha256").update(key).digest().readUInt32BE(0) % partitions);
}

function sectionBytes(body: unknown): Buffer[] {
  if (Buffer.isBuffer(body)) return [body];
  const s = body as Section | undefined;
  if (s && s.typecode === 0x75) {
    const content = s.content as Buffer | Buffer[];
    return s.multiple ? (content as Buffer[]) : [content as Buffer];
  }
  throw new Error("the message body is not data sections");
}

/** The events of a transfer: a batch's data sections, each an encoded message; or one message. */
function decodeTransfer(format: number, raw: unknown) {
  const one = (m: { readonly [k: string]: any }) => ({
    messageId: m.message_id === undefined ? undefined : String(m.message_id),
    contentType: m.content_type as string | undefined,
    properties: { ...((m.application_properties ?? {}) as Record<string, unknown>) },
    body: Buffer.concat(sectionBytes(m.body)),
    partitionKey: m.message_annotations?.[PARTITION_KEY_ANNOTATION] as string | undefined,
  });
  if (format === BATCH_FORMAT) {
    const envelope = rhea.message.decode(raw as Buffer);
    const inner = sectionBytes(envelope.body).map((b) => one(rhea.message.decode(b)));
    const partitionKey =
      (envelope.message_annotations?.[PARTITION_KEY_ANNOTATION] as string | undefined) ??
      inner[0]?.partitionKey;
    return {
      partitionKey,
      events: inner.map(({ partitionKey: _k, ...e }) => ({ ...e, partitionKey })),
    };
  }
  if (format !== 0) throw new Error(`unknown message format ${format}`);
  const m = one(raw as { readonly [k: string]: any });
  return { partitionKey: m.partitionKey, events: [m] };
}
