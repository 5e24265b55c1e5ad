// The delivery Deployments on a cluster: rendered by delivery-deployments.ts, written with
// resourceVersion-guarded replaces (a conflict is left to the next sync, which reads afresh).

import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Deployment } from "@kubernetes/client-node";
import { isConflict, isNotFound } from "../resources/kube-client.ts";
import { CHANNELS, type Channel } from "../resources/types.ts";
import type { ChannelWorkloads } from "./channel-workloads.ts";
import {
  type DeliveryDeploymentSettings,
  type DeploymentOwner,
  deliveryDeploymentName,
  deploymentChange,
  desiredReplicas,
  renderDeliveryDeployment,
} from "./delivery-deployments.ts";
import { type Logger, silentLogger } from "./logger.ts";

export class KubernetesDeliveryDeployments implements ChannelWorkloads {
  private readonly apps: AppsV1Api;
  private readonly settings: DeliveryDeploymentSettings;
  private readonly owner: DeploymentOwner | undefined;
  private readonly log: Logger;

  constructor(
    kc: KubeConfig,
    settings: DeliveryDeploymentSettings,
    owner?: DeploymentOwner,
    log: Logger = silentLogger,
  ) {
    this.apps = kc.makeApiClient(AppsV1Api);
    this.settings = settings;
    this.owner = owner;
    this.log = log;
  }

  async sync(counts: ReadonlyMap<Channel, number>): Promise<void> {
    for (const channel of CHANNELS) {
      const replicas = desiredReplicas(counts.get(channel) ?? 0, this.settings);
      const desired = renderDeliveryDeployment(this.settings, channel, replicas, this.owner);
      const name = deliveryDeploymentName(this.settings, channel);
      const namespace = this.settings.namespace;
      const existing = await this.apps
        .readNamespacedDeployment({ name, namespace })
        .catch((err) => {
          if (isNotFound(err)) return undefined;
          throw err;
        });
      const change = deploymentChange(existing, desired);
      try {
        if (change === "create") {
          await this.apps.createNamespacedDeployment({ namespace, body: desired });
        } else if (change === "update") {
          const body: V1Deployment = {
            ...desired,
            metadata: {
              ...existing!.metadata,
              ...desired.metadata,
              resourceVersion: existing!.metadata?.resourceVersion,
            },
          };
          await this.apps.replaceNamespacedDeployment({ name, namespace, body });
        } else continue;
        this.log.info("delivery deployment", { channel, change, replicas });
      } catch (err) {
        // Someone else wrote it meanwhile; the next sync reads it again.
        if (!isConflict(err)) throw err;
      }
    }
  }
}

/**
 * The controller's own Deployment, when it runs in a pod of one: POD_NAME's ReplicaSet's controller.
 * undefined outside a cluster or for a bare pod.
 */
export async function findOwnerDeployment(
  kc: KubeConfig,
  podNamespace: string,
  podName: string,
): Promise<DeploymentOwner | undefined> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const pod = await core.readNamespacedPod({ name: podName, namespace: podNamespace });
  const rsRef = pod.metadata?.ownerReferences?.find((o) => o.kind === "ReplicaSet" && o.controller);
  if (!rsRef) return undefined;
  const rs = await apps.readNamespacedReplicaSet({ name: rsRef.name, namespace: podNamespace });
  const dRef = rs.metadata?.ownerReferences?.find((o) => o.kind === "Deployment" && o.controller);
  return dRef ? { name: dRef.name, uid: dRef.uid } : undefined;
}
