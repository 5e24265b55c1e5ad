// `segwatch controller` as a process: the controller behind leader election (only the leader
// reconciles; a new Controller per term), /healthz, /readyz and /metrics on a small HTTP server, and
// on stop: stop reconciling, release the lease (another replica takes over at once), close. /readyz
// does not depend on leading, so a rollout of non-leaders never stalls.

import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { KubeConfig } from "@kubernetes/client-node";
import type { NatsConnection } from "@nats-io/transport-node";
import { Gauge, Registry } from "prom-client";
import {
  natsConnectivity,
  type ReadinessCheck,
  readiness,
  shutdownCheck,
} from "../health/readiness.ts";
import type { Buckets } from "../nats/bootstrap.ts";
import type { ResourceSource } from "../resources/source.ts";
import type { ChannelWorkloads } from "./channel-workloads.ts";
import { Controller } from "./controller.ts";
import type { ControllerSettings, LeaderElectionSettings } from "./defaults.ts";
import { KubernetesLeaseStore, LeaderElector } from "./leader-election.ts";
import { type Logger, silentLogger } from "./logger.ts";

export interface ControllerProcessOptions {
  readonly source: ResourceSource;
  readonly nc: NatsConnection;
  readonly buckets: Buckets;
  readonly log?: Logger;
  readonly settings?: Partial<ControllerSettings>;
  readonly workloads?: ChannelWorkloads;
  /** Elect a leader through a Lease (on a cluster); without it this replica always reconciles. */
  readonly leaderElection?: {
    readonly kubeConfig: KubeConfig;
    readonly namespace: string;
    readonly identity?: string;
    readonly settings?: Partial<LeaderElectionSettings>;
  };
  /** Where /healthz, /readyz and /metrics listen (port 0: any free port). */
  readonly health?: { readonly host: string; readonly port: number };
}

export interface ControllerProcess {
  /** The health server's URL, when one listens. */
  readonly healthUrl: string | undefined;
  readonly elector: LeaderElector | undefined;
  /** The running controller while this replica leads (always, without leader election). */
  readonly controller: Controller | undefined;
  isLeader(): boolean;
  stop(): Promise<void>;
}

export async function startControllerProcess(
  opts: ControllerProcessOptions,
): Promise<ControllerProcess> {
  const log = opts.log ?? silentLogger;
  let controller: Controller | undefined;
  let stopping = false;
  // Start and stop of terms run one after the other.
  let transition: Promise<void> = Promise.resolve();
  // Each step starts from a settled promise: a failed start must not stop every later one.
  const lead = () => {
    transition = transition
      .catch(() => {})
      .then(async () => {
        if (stopping || controller) return;
        const c = new Controller({
          source: opts.source,
          nc: opts.nc,
          buckets: opts.buckets,
          log,
          ...(opts.settings ? { settings: opts.settings } : {}),
          ...(opts.workloads ? { workloads: opts.workloads } : {}),
        });
        await c.start();
        controller = c;
      });
    return transition;
  };
  const follow = () => {
    transition = transition
      .catch(() => {})
      .then(async () => {
        const c = controller;
        controller = undefined;
        await c?.stop();
      });
    return transition;
  };

  let elector: LeaderElector | undefined;
  if (opts.leaderElection) {
    const le = opts.leaderElection;
    const identity = le.identity ?? defaultIdentity();
    elector = new LeaderElector({
      store: new KubernetesLeaseStore(
        le.kubeConfig,
        le.namespace,
        le.settings?.leaseName ?? "segwatch-controller",
      ),
      identity,
      ...(le.settings ? { settings: le.settings } : {}),
      onStartedLeading: lead,
      onStoppedLeading: follow,
      log,
    });
    elector.start();
  } else {
    await lead();
  }

  const isLeader = () => (elector ? elector.isLeader : controller !== undefined);
  const registry = new Registry();
  new Gauge({
    name: "segwatch_controller_leader",
    help: "1 while this replica is the leader (reconciles), else 0.",
    registers: [registry],
    collect() {
      this.set(isLeader() ? 1 : 0);
    },
  });
  new Gauge({
    name: "segwatch_controller_reconciles_total",
    help: "Reconciles run by this replica's current leadership term.",
    registers: [registry],
    collect() {
      this.set(controller?.counters.reconciles ?? 0);
    },
  });
  new Gauge({
    name: "segwatch_controller_reconcile_failures_total",
    help: "Reconciles that failed (and were retried) in this replica's current leadership term.",
    registers: [registry],
    collect() {
      this.set(controller?.counters.failures ?? 0);
    },
  });

  let server: Server | undefined;
  let healthUrl: string | undefined;
  const nats = natsConnectivity(opts.nc);
  const checks: ReadinessCheck[] = [shutdownCheck(() => stopping), nats];
  if (opts.health) {
    server = createServer((req, res) => {
      void (async () => {
        const path = (req.url ?? "/").split("?")[0];
        if (path === "/healthz") return reply(res, 200, { status: "ok" });
        if (path === "/readyz") {
          // Ready on standbys too (a rollout must not wait for the lease); the body says who leads.
          const { ready, body } = readiness(checks);
          return reply(res, ready ? 200 : 503, {
            ...body,
            leader: isLeader(),
            ...(elector ? { holder: elector.holder } : {}),
          });
        }
        if (path === "/metrics") {
          res.writeHead(200, { "content-type": registry.contentType });
          res.end(await registry.metrics());
          return;
        }
        reply(res, 404, { error: "not found" });
      })();
    });
    await new Promise<void>((resolve, reject) => {
      server!.once("error", reject);
      server!.listen(opts.health!.port, opts.health!.host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
    healthUrl = `http://${host}:${addr.port}`;
  }

  return {
    healthUrl,
    elector,
    get controller() {
      return controller;
    },
    isLeader,
    async stop() {
      if (stopping) return;
      stopping = true;
      // The elector calls follow() (stops reconciling) before it releases the lease.
      if (elector) await elector.stop();
      await follow();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      nats.stop();
    },
  };
}

/** client-go's default: the host (pod) name plus something unique to this process. */
export function defaultIdentity(): string {
  const base = process.env.POD_NAME ?? process.env.HOSTNAME ?? "segwatch-controller";
  return `${base}_${randomBytes(4).toString("hex")}`;
}

function reply(res: import("node:http").ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
