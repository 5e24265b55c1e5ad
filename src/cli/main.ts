#!/usr/bin/env node
// The segwatch command: one binary for every process and tool (see DESIGN.md "Processes").

import { resolve } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { runApi } from "../api/app.ts";
import { jsonLogger, runStatus } from "../controller/index.ts";
import { runDeliveryWorker } from "../delivery/run.ts";
import { OwnershipError, partitionsOfReplica, replicaOrdinal } from "../evaluator/ownership.ts";
import { partitionLeaseTiming } from "../evaluator/partition-worker.ts";
import { runEvaluator } from "../evaluator/run.ts";
import { natsConnectivity } from "../health/readiness.ts";
import { connectNats, type NatsSettings, natsSettingsFromEnv } from "../nats/connection.ts";
import { DEFAULT_PARTITIONS } from "../profile/identity.ts";
import { DirectorySource } from "../resources/directory-source.ts";
import { CHANNELS, type Channel } from "../resources/types.ts";
import { registerClusterCommands } from "./cluster.ts";
import {
  type ControllerCommandFlags,
  parseHostPort,
  runControllerCommand,
} from "./controller-command.ts";
import { runDev } from "./dev.ts";
import { devClusterKubeconfig } from "./dev-cluster.ts";
import { runDlqList, runDlqReplay } from "./dlq.ts";
import { startHealthServer } from "./health-server.ts";
import { parsePartitionList, untilSignal } from "./process.ts";
import { runSegmentEval } from "./segment-eval.ts";
import { runSegmentTest, UsageError } from "./segment-test.ts";
import { openSource, type SourceFlags, withSourceOptions } from "./source-options.ts";

const program = new Command()
  .name("segwatch")
  .description(
    "Real-time segment entry/exit triggers: SegmentQL audiences delivered to webhooks and streams.",
  )
  .showHelpAfterError()
  .addHelpText(
    "after",
    "\nEvery process reads SEGWATCH_STREAM_REPLICAS (1..5, default 1): the replicas of segwatch's NATS\nstreams and KV buckets (3 on a 3-node JetStream cluster). All processes must agree.",
  );

function parseInstant(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new InvalidArgumentError("expected an RFC 3339 timestamp, e.g. 2026-01-15T12:00:00Z");
  return ms;
}

function parsePositiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError("expected a number of seconds above 0, e.g. 15 or 2.5");
  return n;
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError("expected a whole number of at least 1");
  return n;
}

const natsOption = () =>
  new Option(
    "--nats <url>",
    "NATS server URL(s), comma-separated (default $NATS_URL or nats://127.0.0.1:4222)",
  );
const resourcesOption = () =>
  new Option(
    "--resources <dir>",
    "a folder of segwatch.io/v1alpha1 manifests (the directory resource source)",
  ).default(".segwatch/resources");
// --nats replaces the URL only: credentials still come from NATS_CREDS, NATS_TOKEN, NATS_USER….
const natsSettings = (url: string | undefined): NatsSettings | undefined =>
  url ? { ...natsSettingsFromEnv(), url } : undefined;

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
  .description("Run all of segwatch on this machine with embedded defaults (no cluster needed).")
  .option("--state <dir>", "where segwatch keeps its state", ".segwatch")
  .option(
    "--resources <dir>",
    "the manifests folder (default <state>/resources, seeded from config/samples)",
  )
  .option("--port <port>", "API port (default $SEGWATCH_API_PORT or 8080)", parsePositiveInt)
  .option(
    "--cluster",
    "keep resources on the local control plane of <state> (`segwatch cluster up`; started if none runs)",
  )
  .action(async (opts: { state: string; resources?: string; port?: number; cluster?: boolean }) => {
    const out = (line: string) => process.stdout.write(`${line}\n`);
    const kubeconfigPath = opts.cluster ? await devClusterKubeconfig(opts.state, out) : undefined;
    const dev = await runDev({
      stateDir: opts.state,
      ...(kubeconfigPath ? { cluster: { kubeconfigPath } } : {}),
      ...(opts.resources ? { resourcesDir: opts.resources } : {}),
      ...(opts.port ? { apiPort: opts.port } : {}),
      out: (line) => process.stdout.write(`${line}\n`),
    });
    await untilSignal();
    process.stdout.write("segwatch dev: stopping\n");
    await dev.stop();
  });

withSourceOptions(program.command("api"))
  .description("Serve the collect endpoint and the REST API (tokens from $SEGWATCH_API_TOKEN(S)).")
  .addOption(natsOption())
  .action(async (opts: SourceFlags & { nats?: string }) => {
    const { source } = openSource(opts, (err) => jsonLogger.error(err.message));
    const nats = natsSettings(opts.nats);
    const api = await runApi({ source, ...(nats ? { nats } : {}) });
    process.stdout.write(`segwatch api: listening on ${api.url}\n`);
    await untilSignal();
    await api.stop();
    await source.close();
  });

withSourceOptions(program.command("controller"))
  .description(
    "Reconcile Segments, Subscriptions and ProfileSchemas into the registry and their status.",
  )
  .addOption(natsOption())
  .option("--no-leader-elect", "reconcile without electing a leader (--source kube)")
  .option(
    "--lease-namespace <namespace>",
    "namespace of the leader-election Lease (default $POD_NAMESPACE or default)",
  )
  .option("--health-addr <host:port>", "where /healthz, /readyz and /metrics listen", ":8081")
  .option(
    "--delivery-image <image>",
    "keep a delivery Deployment per channel in use, running this image (--source kube)",
  )
  .option(
    "--delivery-namespace <namespace>",
    "namespace of the delivery Deployments (default $POD_NAMESPACE or default)",
  )
  .option("--delivery-nats <url>", "NATS URL the delivery Deployments use (default --nats)")
  .option(
    "--delivery-nats-secret <name>",
    "Secret with the delivery workers' NATS credentials (with the --delivery-nats-*-key flags)",
  )
  .option(
    "--delivery-nats-creds-key <key>",
    "key of a .creds file in that Secret (mounted, NATS_CREDS)",
  )
  .option("--delivery-nats-token-key <key>", "key of a token in that Secret (NATS_TOKEN)")
  .option("--delivery-nats-user-key <key>", "key of a user name in that Secret (NATS_USER)")
  .option("--delivery-nats-password-key <key>", "key of a password in that Secret (NATS_PASSWORD)")
  .option(
    "--delivery-service-account <name>",
    "ServiceAccount of the delivery pods (cloud identities; no API token is mounted)",
  )
  .addOption(
    new Option(
      "--delivery-image-pull-policy <policy>",
      "imagePullPolicy of the delivery pods",
    ).choices(["Always", "IfNotPresent", "Never"]),
  )
  .option(
    "--delivery-image-pull-secrets <names>",
    "comma-separated imagePullSecrets of the delivery pods",
  )
  .action(async (opts: ControllerCommandFlags) => {
    const run = await runControllerCommand(opts);
    await untilSignal();
    await run.stop();
  });

program
  .command("evaluator")
  .description("Consume events, keep profiles and memberships, publish entry/exit deliveries.")
  .addOption(natsOption())
  .addOption(
    new Option("--partitions <n>", "total number of event partitions (must match the API's)")
      .env("SEGWATCH_PARTITIONS")
      .argParser(parsePositiveInt),
  )
  .option("--owned <list>", "partitions this process owns, e.g. 0-7 or 0,2,4 (default all)")
  .addOption(
    new Option(
      "--replica <ordinal>",
      "this replica's ordinal, or a StatefulSet pod name ending in -<ordinal>: own its share of the partitions (with --replicas)",
    )
      .env("SEGWATCH_REPLICA")
      .conflicts("owned"),
  )
  .addOption(
    new Option("--replicas <n>", "how many evaluator replicas share the partitions")
      .env("SEGWATCH_REPLICAS")
      .argParser(parsePositiveInt),
  )
  .option("--health-addr <host:port>", "where /healthz and /readyz listen (default none)")
  .addOption(
    new Option(
      "--lease-ttl <seconds>",
      "how long a partition's lease outlives its holder's last renewal: the failover time after a crash (default 15)",
    )
      .env("SEGWATCH_EVALUATOR_LEASE_TTL")
      .argParser(parsePositiveSeconds),
  )
  .action(
    async (opts: {
      nats?: string;
      partitions?: number;
      owned?: string;
      replica?: string;
      replicas?: number;
      healthAddr?: string;
      leaseTtl?: number;
    }) => {
      let owned = opts.owned ? parsePartitionList(opts.owned) : undefined;
      if (opts.replicas !== undefined && opts.replica === undefined) {
        process.stderr.write(
          "segwatch evaluator: --replicas needs --replica (this replica's ordinal); without it every process would own every partition\n",
        );
        process.exitCode = 2;
        return;
      }
      if (opts.replica !== undefined) {
        try {
          owned = partitionsOfReplica(
            replicaOrdinal(opts.replica),
            opts.replicas ?? 1,
            opts.partitions ?? DEFAULT_PARTITIONS,
          );
        } catch (err) {
          if (!(err instanceof OwnershipError)) throw err;
          process.stderr.write(`segwatch evaluator: ${err.message}\n`);
          process.exitCode = 2;
          return;
        }
      }
      const health = opts.healthAddr ? parseHostPort(opts.healthAddr) : undefined;
      const nc = await connectNats("segwatch-evaluator", natsSettings(opts.nats));
      // Live from the start; ready once the partition workers run (reading, or waiting for a
      // partition's lease), while NATS is connected.
      let started = false;
      const probes = health
        ? await startHealthServer(health.host, health.port, [
            natsConnectivity(nc),
            { name: "started", problem: () => (started ? undefined : "starting") },
          ])
        : undefined;
      const evaluator = await runEvaluator({
        connection: nc,
        ...(opts.partitions ? { partitions: opts.partitions } : {}),
        ...(owned ? { owned } : {}),
        ...(opts.leaseTtl ? { lease: partitionLeaseTiming(opts.leaseTtl * 1_000) } : {}),
      });
      // Ready while waiting for a partition another process holds: a standby is healthy, and a
      // rolling update must go on to the pod that holds it (its stop hands the lease over).
      started = true;
      await untilSignal();
      await probes?.close();
      await evaluator.stop();
      await nc.drain();
    },
  );

program
  .command("deliver")
  .description("Deliver the entries and exits of one channel's subscriptions.")
  .addOption(
    new Option("--channel <channel>", "the channel to deliver")
      .choices(CHANNELS)
      .makeOptionMandatory(),
  )
  .addOption(natsOption())
  .option("--allow-loopback", "allow webhook targets on loopback addresses")
  .option(
    "--allow-private",
    "allow webhook targets on private addresses (RFC 1918, 100.64/10, fc00::/7)",
  )
  .action(
    async (opts: {
      channel: Channel;
      nats?: string;
      allowLoopback?: boolean;
      allowPrivate?: boolean;
    }) => {
      const nats = natsSettings(opts.nats);
      const run = await runDeliveryWorker({
        channel: opts.channel,
        ...(nats ? { nats } : {}),
        webhook: {
          targetPolicy: {
            allowLoopback: opts.allowLoopback === true,
            allowPrivate: opts.allowPrivate === true,
          },
        },
        signals: ["SIGTERM", "SIGINT"],
      });
      await run.done;
    },
  );

program
  .command("status")
  .description("Show Segments and Subscriptions with their Ready condition and counters.")
  .addOption(resourcesOption())
  .option("-n, --namespace <namespace>", "one namespace (default all)")
  .option("-o, --wide", "also show each condition's message")
  .action(async (opts: { resources: string; namespace?: string; wide?: boolean }) => {
    const source = new DirectorySource({ dir: resolve(opts.resources) });
    process.exitCode = await runStatus({
      source,
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      ...(opts.wide ? { wide: true } : {}),
      out: (line) => process.stdout.write(`${line}\n`),
    });
    await source.close();
  });

const dlq = program
  .command("dlq")
  .description("Inspect and replay dead letters (deliveries that failed for good).");
const dlqFilterOptions = (c: Command) =>
  c
    .addOption(natsOption())
    .option("--subscription <id>", "one subscription's dead letters (default all)")
    .addOption(new Option("--channel <channel>", "one channel's (default all)").choices(CHANNELS))
    .option("--limit <n>", "at most this many", parsePositiveInt)
    .option("--json", "JSON lines instead of a table");
type DlqCliOptions = {
  nats?: string;
  subscription?: string;
  channel?: Channel;
  limit?: number;
  json?: boolean;
};
const dlqOptions = (opts: DlqCliOptions) => {
  const nats = natsSettings(opts.nats);
  return {
    ...(nats ? { nats } : {}),
    filter: {
      ...(opts.subscription ? { subscriptionId: opts.subscription } : {}),
      ...(opts.channel ? { channel: opts.channel } : {}),
      ...(opts.limit ? { limit: opts.limit } : {}),
    },
    ...(opts.json ? { json: true } : {}),
    out: (line: string) => process.stdout.write(`${line}\n`),
  };
};
dlqFilterOptions(
  dlq.command("list").description("List dead letters with their last error, oldest first."),
).action(async (opts: DlqCliOptions) => {
  await runDlqList(dlqOptions(opts));
});
dlqFilterOptions(
  dlq
    .command("replay")
    .description(
      "Send dead letters again (same body and idempotency key) and remove them from the DLQ.",
    ),
).action(async (opts: DlqCliOptions) => {
  await runDlqReplay(dlqOptions(opts));
});
registerClusterCommands(program);

await program.parseAsync(process.argv);
