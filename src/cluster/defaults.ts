// Every default of the local control plane (`segwatch cluster`, the e2e tier) in one place.

import { fileURLToPath } from "node:url";

const SECOND_MS = 1_000;

/** Where tools/build.sh puts the binaries; each can be overridden by an environment variable. */
const TOOLS_BIN = fileURLToPath(new URL("../../.tools/bin/", import.meta.url));

export const BINARY_ENV = {
  etcd: "SEGWATCH_ETCD",
  kubeApiserver: "SEGWATCH_KUBE_APISERVER",
  kubeControllerManager: "SEGWATCH_KUBE_CONTROLLER_MANAGER",
} as const;

export type BinaryName = keyof typeof BINARY_ENV;

export const BINARY_FILES: Readonly<Record<BinaryName, string>> = {
  etcd: "etcd",
  kubeApiserver: "kube-apiserver",
  kubeControllerManager: "kube-controller-manager",
};

export function defaultBinaryPath(name: BinaryName): string {
  return process.env[BINARY_ENV[name]] ?? `${TOOLS_BIN}${BINARY_FILES[name]}`;
}

export const CLUSTER_DEFAULTS = {
  /**
   * Bound on each start-up step (etcd healthy, /readyz, CRDs Established). Generous: a cold
   * kube-apiserver on a busy two-core machine takes tens of seconds.
   */
  startTimeoutMs: 120 * SECOND_MS,
  /** After SIGTERM a process gets this long to exit before SIGKILL. */
  stopGraceMs: 10 * SECOND_MS,
  /** After SIGKILL, how long to wait for the kernel to take the process down. */
  killWaitMs: 5 * SECOND_MS,
  /** Pause between two readiness probes. */
  pollIntervalMs: 100,
  /** Timeout of one readiness probe request. */
  probeTimeoutMs: 2 * SECOND_MS,
  /** Attempts at starting when a port picked as free was taken in between. */
  portAttempts: 3,
  /** Lines of a process's log quoted in an error. */
  logTailLines: 40,
} as const;

/** The Service network of the API server (nothing routes to it: there is no kubelet or proxy). */
export const SERVICE_CLUSTER_IP_RANGE = "10.0.0.0/24";
export const SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local";

/** Controllers of kube-controller-manager: ownerReference garbage collection and namespace deletion. */
export const CONTROLLERS = ["garbage-collector-controller", "namespace-controller"] as const;

/** The cluster, user and context names in the kubeconfig. */
export const KUBECONFIG_NAMES = {
  cluster: "segwatch",
  adminUser: "segwatch-admin",
  adminContext: "segwatch",
  operatorUser: "segwatch-operator",
  operatorContext: "segwatch-operator",
} as const;

/** The admin is in system:masters: every request is allowed. */
export const ADMIN_IDENTITY = {
  user: "segwatch-admin",
  uid: "segwatch-admin",
  groups: ["system:masters"],
};

/** The operator token authenticates as the chart's ServiceAccount, so RBAC applies to it as in a cluster. */
export const OPERATOR_NAMESPACE = "segwatch-system";
export const OPERATOR_SERVICE_ACCOUNT = "segwatch";
export const OPERATOR_IDENTITY = {
  user: `system:serviceaccount:${OPERATOR_NAMESPACE}:${OPERATOR_SERVICE_ACCOUNT}`,
  uid: "segwatch-operator",
  groups: [
    "system:serviceaccounts",
    `system:serviceaccounts:${OPERATOR_NAMESPACE}`,
    "system:authenticated",
  ],
};

/** Under the state directory (`segwatch cluster --state`, default .segwatch). */
export const DEFAULT_STATE_DIR = ".segwatch";
export const STATE_LAYOUT = {
  /** The control plane's data: etcd, certificates, keys, logs, state.json. Removed by `down`. */
  dataDir: "cluster",
  kubeconfig: "kubeconfig",
} as const;

/** The field manager of the CRDs the launcher applies (server-side apply). */
export const FIELD_MANAGER = "segwatch-cluster";
