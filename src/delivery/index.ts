// The delivery side's public surface: what the CLI (`segwatch deliver`, `segwatch dev`) and the
// controller use. Everything else in src/delivery is internal to the worker.

export type { ChannelTarget, DeliveryChannel, DeliveryItem, DeliveryOutcome } from "./channel.ts";
export {
  CONSUMER_METADATA,
  deliveryConsumerConfig,
  ensureDeliveryConsumer,
  ensureDeliveryConsumers,
  LANES,
} from "./consumer-config.ts";
export {
  CONSUME_DEFAULTS,
  CONSUMER_DEFAULTS,
  KINESIS_DEFAULTS,
  LEASE_DEFAULTS,
  PUBSUB_DEFAULTS,
  WEBHOOK_DEFAULTS,
  WORKER_DEFAULTS,
} from "./defaults.ts";
export {
  ChannelConfigError,
  DeliveryConsumerError,
  DeliveryWorkerError,
  SigningSecretError,
  TargetRefusedError,
} from "./errors.ts";
export { createKinesisChannel, type KinesisChannelOptions } from "./kinesis.ts";
export type { DeliveryLog, DeliveryObserver, LogLevel } from "./lane.ts";
export { deliveryLeaseKey } from "./lease.ts";
export { createPubSubChannel, type PubSubChannelOptions } from "./pubsub.ts";
export { PUBSUB_ATTRIBUTE } from "./pubsub-message.ts";
export {
  createDeliveryChannel,
  type DeliveryRun,
  type DeliveryRunOptions,
  runDeliveryWorker,
  stderrLog,
} from "./run.ts";
export { decodeSigningSecret, SECRET_PREFIX } from "./signing.ts";
export {
  classifyAddress,
  STRICT_TARGET_POLICY,
  type TargetPolicyOptions,
} from "./target-policy.ts";
export { createWebhookChannel, type WebhookChannelOptions } from "./webhook.ts";
export { DeliveryWorker, type DeliveryWorkerOptions } from "./worker.ts";
