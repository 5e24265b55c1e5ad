// Command lines of etcd, kube-apiserver and kube-controller-manager: the flags controller-runtime's
// envtest and kwok use for a control plane on loopback (shared notes/kubernetes.md).

import { CONTROLLERS, SERVICE_ACCOUNT_ISSUER, SERVICE_CLUSTER_IP_RANGE } from "./defaults.ts";
import type { DataLayout } from "./layout.ts";

export interface ControlPlanePorts {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly apiserver: number;
  readonly controllerManager: number;
}

const LOOPBACK = "127.0.0.1";
const ETCD_MEMBER = "segwatch";

export function etcdUrl(ports: ControlPlanePorts): string {
  return `http://${LOOPBACK}:${ports.etcdClient}`;
}

export function apiserverUrl(ports: ControlPlanePorts): string {
  return `https://${LOOPBACK}:${ports.apiserver}`;
}

export function controllerManagerUrl(ports: ControlPlanePorts): string {
  return `https://${LOOPBACK}:${ports.controllerManager}`;
}

export function etcdArgs(layout: DataLayout, ports: ControlPlanePorts): string[] {
  const client = etcdUrl(ports);
  const peer = `http://${LOOPBACK}:${ports.etcdPeer}`;
  return [
    `--name=${ETCD_MEMBER}`,
    `--data-dir=${layout.etcdDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=${ETCD_MEMBER}=${peer}`,
    "--initial-cluster-state=new",
    // A throwaway single-member store: durability across power loss is not worth the fsyncs.
    "--unsafe-no-fsync",
    "--log-level=warn",
  ];
}

export function apiserverArgs(layout: DataLayout, ports: ControlPlanePorts): string[] {
  return [
    `--etcd-servers=${etcdUrl(ports)}`,
    `--bind-address=${LOOPBACK}`,
    `--advertise-address=${LOOPBACK}`,
    `--secure-port=${ports.apiserver}`,
    `--cert-dir=${layout.apiserverCertDir}`,
    `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
    "--authorization-mode=RBAC",
    `--token-auth-file=${layout.tokenFile}`,
    // No token controller runs, so Pods cannot get ServiceAccount tokens mounted.
    "--disable-admission-plugins=ServiceAccount",
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${layout.serviceAccountKey}`,
    `--service-account-signing-key-file=${layout.serviceAccountKey}`,
    // There is no Service network: nothing would answer at the kubernetes Service's endpoint.
    "--endpoint-reconciler-type=none",
    "--allow-privileged=true",
    "--profiling=false",
  ];
}

export function controllerManagerArgs(layout: DataLayout, ports: ControlPlanePorts): string[] {
  return [
    `--kubeconfig=${layout.controllerManagerKubeconfig}`,
    `--authentication-kubeconfig=${layout.controllerManagerKubeconfig}`,
    `--authorization-kubeconfig=${layout.controllerManagerKubeconfig}`,
    `--controllers=${CONTROLLERS.join(",")}`,
    // One instance per control plane; a Lease round trip would only slow the start.
    "--leader-elect=false",
    `--bind-address=${LOOPBACK}`,
    `--secure-port=${ports.controllerManager}`,
    `--cert-dir=${layout.controllerManagerCertDir}`,
    "--profiling=false",
  ];
}
