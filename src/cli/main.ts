#!/usr/bin/env node
// The segwatch command: one binary for every process and tool (see DESIGN.md "Processes").

import { Command, InvalidArgumentError } from "commander";
import { runEvaluator } from "../evaluator/run.ts";
import { runDev } from "./dev.ts";
import { parsePartitionList, untilSignal } from "./process.ts";
import { runSegmentEval } from "./segment-eval.ts";
import { runSegmentTest, UsageError } from "./segment-test.ts";

const program = new Command()
  .name("segwatch")
  .description(
    "Real-time segment entry/exit triggers: SegmentQL audiences delivered to webhooks and streams.",
  )
  .showHelpAfterError();

function parseInstant(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new InvalidArgumentError("expected an RFC 3339 timestamp, e.g. 2026-01-15T12:00:00Z");
  return ms;
}

const segment = program.command("segment").description("Compile and evaluate SegmentQL offline.");

segment
  .command("eval")
  .description(
    'Read JSON lines {"ql", "profile", "types"?, "now"?, "includes"?, "boundary"?} on stdin; write one JSON answer per line.',
  )
  .action(async () => {
    await runSegmentEval(process.stdin, process.stdout);
  });

segment
  .command("test")
  .description(
    "Evaluate a segment (YAML manifest or .sql file) against sample profiles (JSON lines).",
  )
  .argument(
    "<segment-file>",
    "a Segment manifest (.yaml, may also hold a ProfileSchema) or a SegmentQL file",
  )
  .requiredOption(
    "--profiles <file>",
    'profiles as JSON lines; a line may carry "expect": true|false',
  )
  .option("--now <time>", "the instant for date math (RFC 3339)", parseInstant)
  .option("--segment <name>", "which Segment of a multi-document YAML file to test")
  .action(
    async (segmentFile: string, opts: { profiles: string; now?: number; segment?: string }) => {
      try {
        const result = await runSegmentTest({
          segmentFile,
          profilesFile: opts.profiles,
          ...(opts.now === undefined ? {} : { now: opts.now }),
          ...(opts.segment === undefined ? {} : { segment: opts.segment }),
          out: (line) => process.stdout.write(`${line}\n`),
        });
        process.exitCode = result.failedExpectations > 0 || result.errors > 0 ? 1 : 0;
      } catch (err) {
        if (err instanceof UsageError) {
          process.stderr.write(`segwatch segment test: ${err.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw err;
      }
    },
  );

program
  .command("dev")
  .description("Run segwatch on this machine with embedded defaults (no cluster needed).")
  .option("--samples <dir>", "folder of sample manifests and profiles", "config/samples")
  .action(async (opts: { samples: string }) => {
    process.exitCode = await runDev({
      samplesDir: opts.samples,
      out: (l) => process.stdout.write(`${l}\n`),
    });
  });

program
  .command("evaluator")
  .description("Consume events, keep profiles and memberships, publish entry/exit deliveries.")
  .option(
    "--nats <url>",
    "NATS server URL(s), comma-separated (default $NATS_URL or nats://127.0.0.1:4222)",
  )
  .option("--partitions <n>", "total number of event partitions (must match the API's)", Number)
  .option("--owned <list>", "partitions this process owns, e.g. 0-7 or 0,2,4 (default all)")
  .action(async (opts: { nats?: string; partitions?: number; owned?: string }) => {
    const evaluator = await runEvaluator({
      ...(opts.nats ? { nats: { url: opts.nats } } : {}),
      ...(opts.partitions ? { partitions: opts.partitions } : {}),
      ...(opts.owned ? { owned: parsePartitionList(opts.owned) } : {}),
    });
    await untilSignal();
    await evaluator.stop();
  });

await program.parseAsync(process.argv);
