// A JetStream cluster of real nats-servers on loopback (routes between them), for what a single
// server cannot show: stream and bucket replicas above 1.

import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { freePort } from "../support/free-port.ts";
import { type NatsServer, startNatsServer } from "./nats.ts";

/** How long the cluster may take to elect its JetStream meta leader and see every peer: a bound on a hang. */
const META_LEADER_WAIT_MS = 30_000;
const RETRY_MS = 200;

export interface NatsCluster {
  readonly servers: readonly NatsServer[];
  /** Every server's URL, comma-separated (what NATS_URL holds for a cluster). */
  readonly url: string;
  stop(): Promise<void>;
}

/** A free loopback port for a route listener (the servers must know each other's up front). */

export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const routePorts: number[] = [];
  for (let i = 0; i < size; i++) routePorts.push(await freePort());
  const routes = routePorts.map((p) => JSON.stringify(`nats-route://127.0.0.1:${p}`)).join(", ");
  const started = await Promise.allSettled(
    routePorts.map((port, i) =>
      startNatsServer({
        config: [
          `server_name: segwatch-test-${i}`,
          `cluster { name: segwatch-test, listen: "127.0.0.1:${port}", routes: [${routes}] }`,
        ].join("\n"),
      }),
    ),
  );
  const servers = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await Promise.all(servers.map((s) => s.stop()));
    throw (failed as PromiseRejectedResult).reason;
  }
  return {
    servers,
    url: servers.map((s) => s.url).join(","),
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}

/**
 * The JetStream API once the cluster has a meta leader (before that, requests time out) and that
 * leader sees `replicas` servers online: until a peer has reported in, placing a stream with that
 * many replicas fails with "no suitable peers for placement, peer offline".
 */
export async function clusterJetStream(
  nc: NatsConnection,
  replicas = 3,
): Promise<JetStreamManager> {
  const deadline = Date.now() + META_LEADER_WAIT_MS;
  const probe = "SEGWATCH_TEST_PLACEMENT";
  for (;;) {
    try {
      const jsm = await jetstreamManager(nc, { timeout: 1_000 });
      await jsm.streams.add({
        name: probe,
        subjects: ["segwatch.test.placement"],
        num_replicas: replicas,
      });
      await jsm.streams.delete(probe);
      return jsm;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(
          `the JetStream cluster did not place a stream on ${replicas} servers in ${META_LEADER_WAIT_MS} ms`,
          { cause: err },
        );
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}
