// Where the e2e tests find the run's control plane: the kubeconfig the cluster harness wrote.

export function e2eKubeconfigPath(): string {
  const path = process.env.SEGWATCH_E2E_KUBECONFIG;
  if (!path) throw new Error("SEGWATCH_E2E_KUBECONFIG is not set (no control plane for this run)");
  return path;
}
