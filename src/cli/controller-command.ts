// `segwatch controller`: connect to NATS, open the resource source, and run the controller process
// (leader-elected and with per-channel delivery Deployments when the source is a cluster).

import { startControllerProcess } from "../controller/controller-process.ts";
import { DELIVERY_DEPLOYMENT_DEFAULTS } from "../controller/defaults.ts";
import {
  findOwnerDeployment,
  KubernetesDeliveryDeployments,
} from "../controller/kube-workloads.ts";
import { jsonLogger } from "../controller/logger.ts";
import { bootstrap } from "../nats/bootstrap.ts";
import { connectNats, DEFAULT_NATS_URL } from "../nats/connection.ts";
import { DEFAULT_NAMESPACE } from "../resources/types.ts";
import { openSource, type SourceFlags } from "./source-options.ts";

export interface ControllerCommandFlags extends SourceFlags {
  readonly nats?: string;
  readonly leaderElect: boolean;
  readonly leaseNamespace?: string;
  readonly healthAddr: string;
  readonly deliveryImage?: string;
  readonly deliveryNamespace?: string;
  readonly deliveryNats?: string;
}

export async function runControllerCommand(
  flags: ControllerCommandFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ stop(): Promise<void> }> {
  const log = jsonLogger;
  const { source, kubeConfig } = openSource(flags, (err) => log.error(err.message));
  const nc = await connectNats("segwatch-controller", flags.nats ? { url: flags.nats } : undefined);
  const buckets = await bootstrap(nc);
  const ownNamespace = env.POD_NAMESPACE ?? DEFAULT_NAMESPACE;

  let workloads: KubernetesDeliveryDeployments | undefined;
  if (kubeConfig && flags.deliveryImage) {
    const namespace = flags.deliveryNamespace ?? ownNamespace;
    // Owned by the controller's Deployment only in its own namespace (no cross-namespace owners).
    const owner =
      env.POD_NAME && env.POD_NAMESPACE && namespace === env.POD_NAMESPACE
        ? await findOwnerDeployment(kubeConfig, env.POD_NAMESPACE, env.POD_NAME).catch((err) => {
            log.error("cannot find the controller's Deployment", { error: String(err) });
            return undefined;
          })
        : undefined;
    workloads = new KubernetesDeliveryDeployments(
      kubeConfig,
      {
        namespace,
        image: flags.deliveryImage,
        namePrefix: DELIVERY_DEPLOYMENT_DEFAULTS.namePrefix,
        replicas: DELIVERY_DEPLOYMENT_DEFAULTS.replicas,
        natsUrl: flags.deliveryNats ?? flags.nats ?? env.NATS_URL ?? DEFAULT_NATS_URL,
      },
      owner,
      log,
    );
  }

  const run = await startControllerProcess({
    source,
    nc,
    buckets,
    log,
    ...(workloads ? { workloads } : {}),
    ...(kubeConfig && flags.leaderElect
      ? {
          leaderElection: {
            kubeConfig,
            namespace: flags.leaseNamespace ?? ownNamespace,
          },
        }
      : {}),
    health: parseHostPort(flags.healthAddr),
  });
  log.info("controller process started", {
    source: flags.source,
    health: run.healthUrl,
    leaderElection: run.elector !== undefined,
  });
  return {
    async stop() {
      await run.stop();
      await source.close();
      await nc.drain();
    },
  };
}

/** ":8081" → all interfaces; "127.0.0.1:0" → loopback, any port. */
export function parseHostPort(text: string): { host: string; port: number } {
  const at = text.lastIndexOf(":");
  const host = text.slice(0, at).replace(/^\[|\]$/g, "") || "0.0.0.0";
  const port = Number(text.slice(at + 1));
  if (at < 0 || !Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`--health-addr must be host:port or :port, got "${text}"`);
  return { host, port };
}
