// Which partitions an evaluator replica owns when a StatefulSet runs several: replica i of R owns the
// contiguous range [floor(i·P/R), floor((i+1)·P/R)), so the replicas together own every partition
// once, and a replica knows its share from its own pod name alone.

export class OwnershipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OwnershipError";
  }
}

/** "7" or a StatefulSet pod name "segwatch-evaluator-7" → 7. */
export function replicaOrdinal(text: string): number {
  const m = /^(?:.*-)?(\d+)$/.exec(text.trim());
  if (!m)
    throw new OwnershipError(
      `replica: expected a number or a StatefulSet pod name ending in -<ordinal>, got "${text}"`,
    );
  return Number(m[1]);
}

/** The partitions replica `ordinal` of `replicas` owns out of `partitions`. */
export function partitionsOfReplica(
  ordinal: number,
  replicas: number,
  partitions: number,
): number[] {
  if (!Number.isInteger(replicas) || replicas < 1)
    throw new OwnershipError(`replicas: expected a whole number of at least 1, got ${replicas}`);
  if (!Number.isInteger(partitions) || partitions < 1)
    throw new OwnershipError(
      `partitions: expected a whole number of at least 1, got ${partitions}`,
    );
  if (replicas > partitions)
    throw new OwnershipError(
      `replicas: ${replicas} replicas for ${partitions} partitions would leave some replicas idle; use at most ${partitions}`,
    );
  if (!Number.isInteger(ordinal) || ordinal < 0 || ordinal >= replicas)
    throw new OwnershipError(`replica: ordinal ${ordinal} is outside 0..${replicas - 1}`);
  const from = Math.floor((ordinal * partitions) / replicas);
  const to = Math.floor(((ordinal + 1) * partitions) / replicas);
  return Array.from({ length: to - from }, (_, i) => from + i);
}
