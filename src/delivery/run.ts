// `segwatch deliver --channel <channel>`: connect, bootstrap, watch the registry, deliver; on stop
// (SIGTERM) stop pulling, give in-flight requests a bounded time, release the rest for redelivery,
// flush the counters and drain the connection.

import type { NatsConnection } from "@nats-io/transport-node";
import { type BootstrapOptions, bootstrap } from "../nats/bootstrap.ts";
import { connectNats, type NatsSettings, natsSettingsFromEnv } from "../nats/connection.ts";
import type { Channel } from "../resources/types.ts";
import type { DeliveryChannel } from "./channel.ts";
import { DeliveryWorkerError, describeError } from "./errors.ts";
import { createEventHubChannel, type EventHubChannelOptions } from "./eventhub.ts";
import { createKinesisChannel, type KinesisChannelOptions } from "./kinesis.ts";
import type { DeliveryLog } from "./lane.ts";
import { createPubSubChannel, type PubSubChannelOptions } from "./pubsub.ts";
import { createWebhookChannel, type WebhookChannelOptions } from "./webhook.ts";
import { DeliveryWorker, type DeliveryWorkerOptions } from "./worker.ts";

export interface DeliveryRunOptions {
  readonly channel: Channel;
  /** Connection settings (default: from the environment, NATS_URL …). Ignored with `connection`. */
  readonly nats?: NatsSettings;
  /** An existing connection to share (`segwatch dev`); the run does not drain it on stop. */
  readonly connection?: NatsConnection;
  readonly bootstrap?: BootstrapOptions;
  /** Webhook channel settings: target policy (`segwatch dev` allows loopback), Segment endpoint. */
  readonly webhook?: WebhookChannelOptions;
  /** Event Hubs channel settings (throttling wait, idle producer close). */
  readonly eventhub?: EventHubChannelOptions;
  /** Pub/Sub channel settings: an API endpoint for every subscription (an emulator). */
  readonly pubsub?: PubSubChannelOptions;
  /** Kinesis channel settings (client timeouts, assume-role session). */
  readonly kinesis?: KinesisChannelOptions;
  /** Worker tuning: stop bound, backfill budget and pace, observer… */
  readonly worker?: Omit<DeliveryWorkerOptions, "nc" | "registry" | "status" | "channel" | "log">;
  /** Default: JSON lines on stderr for info and above. */
  readonly log?: DeliveryLog;
  /** Signals that stop the run (the CLI passes ["SIGTERM", "SIGINT"]); none by default. */
  readonly signals?: readonly NodeJS.Signals[];
}

export interface DeliveryRun {
  readonly worker: DeliveryWorker;
  readonly connection: NatsConnection;
  /** Stops delivering (idempotent); resolves when everything is released and the connection drained. */
  stop(): Promise<void>;
  /** Resolves after stop(); rejects if the NATS connection closed under the worker. */
  readonly done: Promise<void>;
}

/** The channel implementation for a channel name. */
export function createDeliveryChannel(
  channel: Channel,
  opts: {
    readonly webhook?: WebhookChannelOptions;
    readonly eventhub?: EventHubChannelOptions;
    readonly pubsub?: PubSubChannelOptions;
    readonly kinesis?: KinesisChannelOptions;
  } = {},
): DeliveryChannel {
  if (channel === "webhook") return createWebhookChannel(opts.webhook);
  if (channel === "eventhub") return createEventHubChannel(opts.eventhub);
  if (channel === "pubsub") return createPubSubChannel(opts.pubsub);
  if (channel === "kinesis") return createKinesisChannel(opts.kinesis);
  const unknown: never = channel;
  throw new DeliveryWorkerError(`unknown channel ${String(unknown)}`);
}

export async function runDeliveryWorker(opts: DeliveryRunOptions): Promise<DeliveryRun> {
  const log = opts.log ?? stderrLog;
  const channel = createDeliveryChannel(opts.channel, opts);
  const owned = opts.connection === undefined;
  let nc: NatsConnection;
  try {
    nc =
      opts.connection ??
      (await connectNats(`segwatch-deliver-${opts.channel}`, opts.nats ?? natsSettingsFromEnv()));
  } catch (err) {
    await channel.destroy();
    throw new DeliveryWorkerError(`connecting to NATS failed: ${describeError(err)}`, {
      cause: err,
    });
  }
  let worker: DeliveryWorker;
  try {
    const buckets = await bootstrap(nc, opts.bootstrap);
    worker = new DeliveryWorker({
      ...opts.worker,
      nc,
      registry: buckets.registry,
      status: buckets.status,
      channel,
      log,
    });
    await worker.start();
  } catch (err) {
    await channel.destroy();
    if (owned) await nc.close();
    throw err instanceof DeliveryWorkerError
      ? err
      : new DeliveryWorkerError(
          `starting the ${opts.channel} worker failed: ${describeError(err)}`,
          { cause: err },
        );
  }

  let stopping: Promise<void> | undefined;
  let resolveDone!: () => void;
  let rejectDone!: (err: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  // A rejection nobody awaits must not crash the process: callers that care await `done`.
  done.catch(() => {});

  const onSignal = (signal: NodeJS.Signals) => {
    log("info", `${signal}: stopping`, { channel: opts.channel });
    void stop();
  };
  for (const s of opts.signals ?? []) process.once(s, onSignal);

  let failure: Error | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const s of opts.signals ?? []) process.removeListener(s, onSignal);
      try {
        await worker.stop();
        // Whatever is still in flight was released for redelivery: abort it.
        await channel.destroy();
        if (owned && !nc.isClosed()) await nc.drain();
      } catch (err) {
        failure ??= new DeliveryWorkerError(`stopping failed: ${describeError(err)}`, {
          cause: err,
        });
      }
      if (failure) rejectDone(failure);
      else resolveDone();
    })();
    return stopping;
  };

  void nc.closed().then((err) => {
    if (stopping) return;
    const cause = err ?? new Error("connection closed");
    log("error", "NATS connection closed; stopping", { error: describeError(cause) });
    failure = new DeliveryWorkerError(`NATS connection closed: ${describeError(cause)}`, { cause });
    void stop();
  });

  return { worker, connection: nc, stop, done };
}

/** JSON lines on stderr, info and above. */
export const stderrLog: DeliveryLog = (level, message, fields) => {
  if (level === "debug") return;
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields })}\n`,
  );
};
