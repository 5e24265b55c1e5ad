// The per-channel delivery Deployments, pure: what a channel's Deployment looks like, how many
// replicas it should have for its subscription count, and whether the stored one needs a write.
// The controller's own Deployment owns them when there is one (same namespace), so uninstalling the
// controller removes them.

import { createHash } from "node:crypto";
import type { V1Deployment } from "@kubernetes/client-node";
import type { Channel } from "../resources/types.ts";

export interface DeliveryDeploymentSettings {
  /** Where the Deployments live (the controller's namespace). */
  readonly namespace: string;
  readonly image: string;
  readonly namePrefix: string;
  /** Replicas of a channel that has subscriptions. */
  readonly replicas: number;
  /** NATS_URL of the workers. */
  readonly natsUrl: string;
  readonly serviceAccountName?: string;
  readonly imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
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
  const template = {
    metadata: { labels },
    spec: {
      ...(settings.serviceAccountName ? { serviceAccountName: settings.serviceAccountName } : {}),
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "deliver",
          image: settings.image,
          ...(settings.imagePullPolicy ? { imagePullPolicy: settings.imagePullPolicy } : {}),
          args: ["deliver", "--channel", channel],
          env: [{ name: "NATS_URL", value: settings.natsUrl }],
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
          },
          resources: { requests: { cpu: "50m", memory: "64Mi" } },
        },
      ],
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
