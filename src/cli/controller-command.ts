// `segwatch controller`: connect to NATS, open the resource source, and run the controller process
// (leader-elected and with per-channel delivery Deployments when the source is a cluster).

import { startControllerProcess } from "../controller/controller-process.ts";
import { DELIVERY_DEPLOYMENT_DEFAULTS } from "../controller/defaults.ts";
import type {
  DeliveryDeploymentSettings,
  NatsAuthSecret,
} from "../controller/delivery-deployments.ts";
import {
  findOwnerDeployment,
  KubernetesDeliveryDeployments,
} from "../controller/kube-workloads.ts";
import { jsonLogger } from "../controller/logger.ts";
import { bootstrap } from "../nats/bootstrap.ts";
import { connectNats, DEFAULT_NATS_URL, natsSettingsFromEnv } from "../nats/connection.ts";
import { streamReplicasFromEnv } from "../nats/stream-replicas.ts";
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
  readonly deliveryServiceAccount?: string;
  readonly deliveryImagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  /** Comma-separated Secret names. */
  readonly deliveryImagePullSecrets?: string;
  readonly deliveryNatsSecret?: string;
  readonly deliveryNatsCredsKey?: string;
  readonly deliveryNatsTokenKey?: string;
  readonly deliveryNatsUserKey?: string;
  readonly deliveryNatsPasswordKey?: string;
}

/** A controller flag with a value it cannot use. */
export class ControllerFlagError extends Error {
  readonly flag: string;

  constructor(flag: string, message: string) {
    super(`${flag}: ${message}`);
    this.name = "ControllerFlagError";
    this.flag = flag;
  }
}

export async function runControllerCommand(
  flags: ControllerCommandFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ stop(): Promise<void> }> {
  const log = jsonLogger;
  // Bad settings stop the process before it connects anywhere.
  const streamReplicas = streamReplicasFromEnv(env);
  const deliveryPod = deliveryPodSettings(flags);
  const { source, kubeConfig } = openSource(flags, (err) => log.error(err.message));
  const nc = await connectNats("segwatch-controller", {
    ...natsSettingsFromEnv(env),
    ...(flags.nats ? { url: flags.nats } : {}),
  });
  const buckets = await bootstrap(nc, { replicas: streamReplicas });
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
        streamReplicas,
        ...deliveryPod,
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

type DeliveryPodSettings = Pick<
  DeliveryDeploymentSettings,
  "natsAuth" | "serviceAccountName" | "imagePullPolicy" | "imagePullSecrets"
>;

// Kubernetes object names (DNS-1123 subdomains) and Secret data keys.
const OBJECT_NAME_RE = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const SECRET_KEY_RE = /^[-._a-zA-Z0-9]{1,253}$/;
const PULL_POLICIES = ["Always", "IfNotPresent", "Never"] as const;

/** The delivery pods' identity, image pulling and NATS credentials from the --delivery-* flags. */
export function deliveryPodSettings(flags: ControllerCommandFlags): DeliveryPodSettings {
  const name = (flag: string, value: string | undefined) => {
    if (value !== undefined && !OBJECT_NAME_RE.test(value))
      throw new ControllerFlagError(flag, `"${value}" is not a Kubernetes object name`);
    return value;
  };
  const key = (flag: string, value: string | undefined) => {
    if (value !== undefined && !SECRET_KEY_RE.test(value))
      throw new ControllerFlagError(flag, `"${value}" is not a Secret key`);
    return value;
  };
  const serviceAccountName = name("--delivery-service-account", flags.deliveryServiceAccount);
  const policy = flags.deliveryImagePullPolicy;
  if (policy !== undefined && !PULL_POLICIES.includes(policy))
    throw new ControllerFlagError(
      "--delivery-image-pull-policy",
      `"${policy}" is not one of ${PULL_POLICIES.join(", ")}`,
    );
  const imagePullSecrets = (flags.deliveryImagePullSecrets ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => name("--delivery-image-pull-secrets", s)!);

  const keys = {
    credsKey: key("--delivery-nats-creds-key", flags.deliveryNatsCredsKey),
    tokenKey: key("--delivery-nats-token-key", flags.deliveryNatsTokenKey),
    userKey: key("--delivery-nats-user-key", flags.deliveryNatsUserKey),
    passwordKey: key("--delivery-nats-password-key", flags.deliveryNatsPasswordKey),
  };
  const secretName = name("--delivery-nats-secret", flags.deliveryNatsSecret);
  const anyKey = Object.values(keys).some((k) => k !== undefined);
  if (anyKey && !secretName)
    throw new ControllerFlagError(
      "--delivery-nats-secret",
      "required with --delivery-nats-creds-key, -token-key, -user-key or -password-key (the Secret holding those keys)",
    );
  if (secretName && !anyKey)
    throw new ControllerFlagError(
      "--delivery-nats-secret",
      "name at least one key: --delivery-nats-creds-key, --delivery-nats-token-key or --delivery-nats-user-key",
    );
  if (keys.passwordKey && !keys.userKey)
    throw new ControllerFlagError(
      "--delivery-nats-password-key",
      "needs --delivery-nats-user-key (a password is sent with a user)",
    );
  const natsAuth: NatsAuthSecret | undefined = secretName
    ? {
        secretName,
        ...Object.fromEntries(Object.entries(keys).filter(([, v]) => v !== undefined)),
      }
    : undefined;
  return {
    ...(natsAuth ? { natsAuth } : {}),
    ...(serviceAccountName ? { serviceAccountName } : {}),
    ...(policy ? { imagePullPolicy: policy } : {}),
    ...(imagePullSecrets.length ? { imagePullSecrets } : {}),
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
