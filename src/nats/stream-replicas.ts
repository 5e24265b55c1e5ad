// How many replicas segwatch's streams and KV buckets have: one setting, SEGWATCH_STREAM_REPLICAS,
// read by every process (api, controller, evaluator, deliver, dlq, dev) through `bootstrap`, and
// handed by the controller to the delivery Deployments it creates. Every process converges the
// streams to its own setting at start, so they must all read the same one: a process that fell back
// to 1 would put a clustered (R3) install back to R1.

/** The environment variable every process reads. */
export const STREAM_REPLICAS_ENV = "SEGWATCH_STREAM_REPLICAS";

export const STREAM_REPLICAS_DEFAULTS = {
  /** A single nats-server (the bundled one, `segwatch dev`) can only hold one replica. */
  replicas: 1,
  /** JetStream's own limit on a stream's replicas. */
  max: 5,
} as const;

/** A replicas setting that is not a whole number in 1..5. */
export class StreamReplicasError extends Error {
  readonly setting: string;

  constructor(setting: string, value: unknown, options?: ErrorOptions) {
    super(
      `${setting} must be a whole number from 1 to ${STREAM_REPLICAS_DEFAULTS.max} (1 for a single nats-server, 3 for a 3-node JetStream cluster), got ${JSON.stringify(value)}`,
      options,
    );
    this.name = "StreamReplicasError";
    this.setting = setting;
  }
}

/** Checks a replicas count; `setting` names where it came from in the error. */
export function validStreamReplicas(value: number, setting: string = STREAM_REPLICAS_ENV): number {
  if (!Number.isInteger(value) || value < 1 || value > STREAM_REPLICAS_DEFAULTS.max)
    throw new StreamReplicasError(setting, value);
  return value;
}

/** SEGWATCH_STREAM_REPLICAS, default 1; anything but a whole number in 1..5 is an error. */
export function streamReplicasFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[STREAM_REPLICAS_ENV];
  if (text === undefined || text.trim() === "") return STREAM_REPLICAS_DEFAULTS.replicas;
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || n < 1 || n > STREAM_REPLICAS_DEFAULTS.max)
    throw new StreamReplicasError(STREAM_REPLICAS_ENV, text);
  return n;
}
