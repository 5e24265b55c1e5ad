// `segwatch dlq list | replay`: what failed for good, and sending it again once the receiver is fixed.

import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type DeadLetterFilter, DeadLetterQueue } from "../delivery/dead-letters.ts";
import { bootstrap } from "../nats/bootstrap.ts";
import { connectNats, type NatsSettings } from "../nats/connection.ts";

export interface DlqCommandOptions {
  readonly nats?: NatsSettings;
  readonly filter: DeadLetterFilter;
  readonly json?: boolean;
  readonly out: (line: string) => void;
}

async function withQueue<T>(
  opts: DlqCommandOptions,
  fn: (dlq: DeadLetterQueue) => Promise<T>,
): Promise<T> {
  const nc = await connectNats("segwatch-dlq", opts.nats);
  try {
    const buckets = await bootstrap(nc);
    const dlq = new DeadLetterQueue({
      jsm: await jetstreamManager(nc),
      js: jetstream(nc),
      registry: buckets.registry,
    });
    return await fn(dlq);
  } finally {
    await nc.drain();
  }
}

/** Prints the matching dead letters, oldest first. Returns how many there were. */
export function runDlqList(opts: DlqCommandOptions): Promise<number> {
  return withQueue(opts, async (dlq) => {
    let n = 0;
    if (!opts.json)
      opts.out(["SEQ", "TIME", "SUBSCRIPTION", "CHANNEL", "USER", "ATTEMPTS", "ERROR"].join("\t"));
    for await (const e of dlq.list(opts.filter)) {
      n++;
      if (opts.json) {
        opts.out(JSON.stringify(e.ok ? { time: e.time, ...e.deadLetter } : e));
        continue;
      }
      const time = e.time.toISOString();
      opts.out(
        e.ok
          ? [
              e.deadLetter.seq,
              time,
              e.deadLetter.subscriptionId,
              e.deadLetter.channel,
              e.deadLetter.userKey,
              e.deadLetter.attempts,
              e.deadLetter.error,
            ].join("\t")
          : [e.seq, time, "-", "-", "-", "-", `unreadable: ${e.reason}`].join("\t"),
      );
    }
    if (!opts.json) opts.out(`${n} dead letter${n === 1 ? "" : "s"}`);
    return n;
  });
}

/** Replays the matching dead letters; prints what was replayed and what was left, and why. */
export function runDlqReplay(opts: DlqCommandOptions): Promise<number> {
  return withQueue(opts, async (dlq) => {
    const result = await dlq.replay(opts.filter);
    if (opts.json) {
      opts.out(JSON.stringify(result));
    } else {
      opts.out(`replayed ${result.replayed}, left ${result.skipped.length}`);
      for (const s of result.skipped) opts.out(`  ${s.seq}: ${s.reason}`);
    }
    return result.replayed;
  });
}
