// Where the operator's e2e tests find the run's control plane: the kubeconfig global-setup.ts
// provides (its own control plane, or the cluster of SEGWATCH_E2E_KUBECONFIG).

import { inject } from "vitest";

export function e2eKubeconfigPath(): string {
  return inject("kubeconfig");
}

/** Whether the run started the control plane itself (so the launcher and its binaries are here). */
export function ownControlPlane(): boolean {
  return inject("ownControlPlane");
}
