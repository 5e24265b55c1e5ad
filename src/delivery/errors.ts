// The errors of the delivery side. Each carries what an operator needs in `lastError` and a `code`
// that survives being wrapped by undici or nats.js (see `findCause`).

/** A target address refused by the target policy (private, loopback, link-local, …). Never retried. */
export class TargetRefusedError extends Error {
  static readonly code = "ESEGWATCH_TARGET_REFUSED";
  readonly code = TargetRefusedError.code;
  readonly hostname: string;
  readonly address: string;
  readonly addressClass: string;

  constructor(hostname: string, address: string, addressClass: string, options?: ErrorOptions) {
    const shown = hostname === address ? address : `${hostname} (${address})`;
    super(
      `target ${shown} refused: ${addressClass} address (allow it in the worker's target policy if intended)`,
      options,
    );
    this.name = "TargetRefusedError";
    this.hostname = hostname;
    this.address = address;
    this.addressClass = addressClass;
  }
}

/** A subscription record the channel cannot deliver with (no webhook URL, bad scheme, bad secret). */
export class ChannelConfigError extends Error {
  readonly subscriptionId: string;

  constructor(subscriptionId: string, message: string, options?: ErrorOptions) {
    super(`subscription ${subscriptionId}: ${message}`, options);
    this.name = "ChannelConfigError";
    this.subscriptionId = subscriptionId;
  }
}

/** A signing secret that is neither "whsec_<base64>" nor a usable raw string. */
export class SigningSecretError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SigningSecretError";
  }
}

/** Setting up or tearing down a subscription's consumers failed. */
export class DeliveryConsumerError extends Error {
  readonly consumer: string;

  constructor(consumer: string, message: string, options?: ErrorOptions) {
    super(`consumer ${consumer}: ${message}`, options);
    this.name = "DeliveryConsumerError";
    this.consumer = consumer;
  }
}

/** The worker could not start (connect, bootstrap, registry watch). */
export class DeliveryWorkerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DeliveryWorkerError";
  }
}

/** The first error in `err`'s cause chain (AggregateError members included) that `match` accepts. */
export function findCause<T>(
  err: unknown,
  match: (e: unknown) => e is T,
  depth = 8,
): T | undefined {
  if (depth < 0 || err === null || err === undefined) return undefined;
  if (match(err)) return err;
  if (err instanceof AggregateError) {
    for (const e of err.errors) {
      const found = findCause(e, match, depth - 1);
      if (found !== undefined) return found;
    }
  }
  if (err instanceof Error && err.cause !== undefined)
    return findCause(err.cause, match, depth - 1);
  return undefined;
}

export { describeError } from "../nats/errors.ts";
