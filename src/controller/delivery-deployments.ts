// The per-channel delivery Deployments, pure: what a channel's Deployment looks like, how many
// replicas it should have for its subscription count, and whether the stored one needs a write.
// The controller's own Deployment owns them when there is one (same namespace), so uninstalling the
// controller removes them.

import { createHash } from "node:crypto";
import type { V1Deployment, V1EnvVar, V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import { STREAM_REPLICAS_ENV } from "../nats/stream-replicas.ts";
import type { Channel } from "../resources/types.ts";
import { DELIVERY_DEPLOYMENT_DEFAULTS } from "./defaults.ts";

/**
 * NATS credentials in a Secret, handed to the workers the way the chart hands them to its own pods:
 * a .creds file mounted and named by NATS_CREDS, or NATS_TOKEN, or NATS_USER / NATS_PASSWORD.
 */
export interface NatsAuthSecret {
  readonly secretName: string;
  /** Key holding a .creds file (JWT + NKey seed). */
  readonly credsKey?: string;
  readonly tokenKey?: string;
  readonly userKey?: string;
  readonly passwordKey?: string;
}

export interface DeliveryDeploymentSettings {
  /** Where the Deployments live (the controller's namespace). */
  readonly namespace: string;
  readonly image: string;
  readonly namePrefix: string;
  /** Replicas of a channel that has subscriptions. */
  readonly replicas: number;
  /** NATS_URL of the workers. */
  readonly natsUrl: string;
  /** Where the workers find their NATS credentials; none for a server without authentication. */
  readonly natsAuth?: NatsAuthSecret;
  /** SEGWATCH_STREAM_REPLICAS of the workers: the controller's own, so they converge alike. */
  readonly streamReplicas: number;
  /** For cloud identities (IRSA, workload identity); the workers never call the Kubernetes API. */
  readonly serviceAccountName?: string;
  readonly imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  readonly imagePullSecrets?: readonly string[];
}

/** The Deployment that owns them (the controller's), from POD_NAME's ReplicaSet's owner. */
export interface DeploymentOwner {
  readonly name: string;
  readonly uid: string;
}

/** Annotation with a hash of the rendered spec: a changed setting shows as a different hash. */
export const TEMPLATE_HASH_ANNOTATION = "segwatch.io/template-hash";
export const CHANNEL_LABEL = "segwatch.io/channel";
const MANAGED_BY = "segwatch-controller";

export function deliveryDeploymentName(settings: DeliveryDeploymentSettings, channel: Channel) {
  return `${settings.namePrefix}${channel}`;
}

export function renderDeliveryDeployment(
  settings: DeliveryDeploymentSettings,
  channel: Channel,
  replicas: number,
  owner?: DeploymentOwner,
): V1Deployment {
  const selector = {
    "app.kubernetes.io/name": "segwatch",
    "app.kubernetes.io/component": `deliver-${channel}`,
  };
  const labels = {
    ...selector,
    "app.kubernetes.io/managed-by": MANAGED_BY,
    [CHANNEL_LABEL]: channel,
  };
  const nats = natsConnection(settings);
  const template = {
    metadata: { labels },
    spec: {
      ...(settings.serviceAccountName ? { serviceAccountName: settings.serviceAccountName } : {}),
      automountServiceAccountToken: false,
      ...(settings.imagePullSecrets?.length
        ? { imagePullSecrets: settings.imagePullSecrets.map((name) => ({ name })) }
        : {}),
      securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "deliver",
          image: settings.image,
          ...(settings.imagePullPolicy ? { imagePullPolicy: settings.imagePullPolicy } : {}),
          args: ["deliver", "--channel", channel],
          env: nats.env,
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
          },
          resources: { requests: { cpu: "50m", memory: "64Mi" } },
          // The root filesystem is read-only: /tmp is the one writable place, as in the chart's pods.
          volumeMounts: [{ name: "tmp", mountPath: "/tmp" }, ...nats.volumeMounts],
        },
      ],
      volumes: [{ name: "tmp", emptyDir: {} }, ...nats.volumes],
    },
  };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: deliveryDeploymentName(settings, channel),
      namespace: settings.namespace,
      labels,
      annotations: { [TEMPLATE_HASH_ANNOTATION]: templateHash(template) },
      ...(owner
        ? {
            ownerReferences: [
              {
                apiVersion: "apps/v1",
                kind: "Deployment",
                name: owner.name,
                uid: owner.uid,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : {}),
    },
    spec: { replicas, selector: { matchLabels: selector }, template },
  };
}

/** The workers' NATS environment and the volume of a .creds file, laid out as the chart's. */
function natsConnection(settings: DeliveryDeploymentSettings): {
  env: V1EnvVar[];
  volumes: V1Volume[];
  volumeMounts: V1VolumeMount[];
} {
  const env: V1EnvVar[] = [
    { name: "NATS_URL", value: settings.natsUrl },
    { name: STREAM_REPLICAS_ENV, value: String(settings.streamReplicas) },
  ];
  const auth = settings.natsAuth;
  if (!auth) return { env, volumes: [], volumeMounts: [] };
  const { natsCredsDir, natsCredsFile } = DELIVERY_DEPLOYMENT_DEFAULTS;
  if (auth.credsKey) env.push({ name: "NATS_CREDS", value: `${natsCredsDir}/${natsCredsFile}` });
  const fromSecret = (name: string, key: string | undefined) => {
    if (key) env.push({ name, valueFrom: { secretKeyRef: { name: auth.secretName, key } } });
  };
  fromSecret("NATS_TOKEN", auth.tokenKey);
  fromSecret("NATS_USER", auth.userKey);
  fromSecret("NATS_PASSWORD", auth.passwordKey);
  if (!auth.credsKey) return { env, volumes: [], volumeMounts: [] };
  return {
    env,
    volumes: [
      {
        name: "nats-creds",
        secret: {
          secretName: auth.secretName,
          items: [{ key: auth.credsKey, path: natsCredsFile }],
        },
      },
    ],
    volumeMounts: [{ name: "nats-creds", mountPath: natsCredsDir, readOnly: true }],
  };
}

/** Replicas a channel's Deployment should have: the setting while it has subscriptions, else 0. */
export function desiredReplicas(subscriptions: number, settings: DeliveryDeploymentSettings) {
  return subscriptions > 0 ? settings.replicas : 0;
}

export type DeploymentChange = "create" | "update" | "none";

/**
 * What to do about a channel: create its Deployment only when it has subscriptions (a channel never
 * used gets none), update one whose replicas or template differ, leave the rest.
 */
export function deploymentChange(
  existing: V1Deployment | undefined,
  desired: V1Deployment,
): DeploymentChange {
  const replicas = desired.spec?.replicas ?? 0;
  if (!existing) return replicas > 0 ? "create" : "none";
  const sameReplicas = (existing.spec?.replicas ?? 1) === replicas;
  const sameTemplate =
    existing.metadata?.annotations?.[TEMPLATE_HASH_ANNOTATION] ===
    desired.metadata?.annotations?.[TEMPLATE_HASH_ANNOTATION];
  return sameReplicas && sameTemplate ? "none" : "update";
}

/** Live subscriptions per channel (those being deleted no longer count). */
export function subscriptionsPerChannel(
  subscriptions: readonly {
    spec: { channel: Channel };
    metadata: { deletionTimestamp?: string };
  }[],
): Map<Channel, number> {
  const out = new Map<Channel, number>();
  for (const s of subscriptions) {
    if (s.metadata.deletionTimestamp) continue;
    out.set(s.spec.channel, (out.get(s.spec.channel) ?? 0) + 1);
  }
  return out;
}

function templateHash(template: unknown): string {
  return createHash("sha256").update(JSON.stringify(template)).digest("hex").slice(0, 16);
}
