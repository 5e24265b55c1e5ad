// One reader per partition, always: a partition worker reads only while it holds the partition's
// lease (KV segwatch-status `leases.evaluate.p<N>`). Two processes that both own a partition — an
// old and a new pod of a rolling update that changes the replica count, or two evaluators started by
// hand — take turns: one reads, the other waits as a standby and takes over when the lease is
// released (graceful stop) or has expired (crash, or cut off from NATS).

import type { KV } from "@nats-io/kv";
import { KvLease, type LeaseTiming } from "../nats/lease.ts";
import { evaluatorLeaseKey } from "../nats/names.ts";
import type { PartitionWorker } from "./partition-worker.ts";

type Log = (level: "info" | "warn" | "error", message: string, error?: unknown) => void;

type TermEnd = { readonly kind: "lost"; readonly reason: string } | { readonly kind: "stop" };

export interface LeasedPartitionOptions {
  /** KV segwatch-status. */
  readonly kv: KV;
  /** This process's name in the lease (what a standby's log says it waits for). */
  readonly owner: string;
  readonly timing: LeaseTiming;
  readonly log: Log;
  /** Called each time the lease is acquired, before the worker reads (queues the scans a fresh start does). */
  readonly acquired?: () => void;
}

export class LeasedPartition {
  readonly worker: PartitionWorker;
  readonly #lease: KvLease;
  readonly #log: Log;
  readonly #acquired: () => void;
  #stopping = false;
  #leading: Promise<void> | undefined;
  /** Ends the current term (the lease is held): set while held. */
  #end: ((end: TermEnd) => void) | undefined;

  constructor(worker: PartitionWorker, opts: LeasedPartitionOptions) {
    this.worker = worker;
    this.#log = opts.log;
    this.#acquired = opts.acquired ?? (() => {});
    const p = worker.partition;
    this.#lease = new KvLease(
      opts.kv,
      evaluatorLeaseKey(p),
      opts.owner,
      {
        lost: (reason) => this.#lost(reason),
        waiting: (owner) => this.#log("info", `partition ${p}: waiting for ${owner}`),
        log: (message, fields, level) =>
          this.#log(level ?? "info", `partition ${p}: ${message}${describeFields(fields)}`),
      },
      opts.timing,
    );
  }

  get partition(): number {
    return this.worker.partition;
  }

  /** True while this process holds the partition's lease. */
  get held(): boolean {
    return this.#lease.held;
  }

  /** Competes for the lease in the background; reads while holding it, waits again when it is lost. */
  start(): void {
    this.#leading ??= this.#lead();
  }

  /**
   * Stops waiting, or (when holding) finishes the batch in progress, stores it and releases the
   * lease, so that a standby takes over at once instead of after the TTL.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#lease.cancel();
    this.#end?.({ kind: "stop" });
    await this.#leading;
    this.#lease.close();
  }

  async #lead(): Promise<void> {
    const p = this.partition;
    while (!this.#stopping) {
      if (!(await this.#lease.acquire())) return;
      if (this.#stopping) {
        await this.#lease.release();
        return;
      }
      const ended = new Promise<TermEnd>((resolve) => {
        this.#end = resolve;
      });
      this.#acquired();
      this.worker.consume(() => this.#lease.checkValid());
      const end = await ended;
      this.#end = undefined;
      if (end.kind === "lost") {
        await this.worker.halt("drop");
        this.#log("info", `partition ${p}: standby again`);
        continue;
      }
      await this.worker.halt("finish");
      await this.#lease.release();
      this.#log("info", `partition ${p}: lease released`);
      return;
    }
  }

  #lost(reason: string): void {
    this.#log("warn", `partition ${this.partition}: lease lost (${reason}); stopping at once`);
    // Stop reading before anything else runs; the term's end waits for the rest of the halt.
    void this.worker.halt("drop");
    this.#end?.({ kind: "lost", reason });
  }
}

function describeFields(fields: Record<string, unknown> | undefined): string {
  if (!fields) return "";
  const parts = Object.entries(fields)
    .filter(([k]) => k !== "key")
    .map(([k, v]) => `${k}=${String(v)}`);
  return parts.length > 0 ? ` (${parts.join(", ")})` : "";
}
