// `segwatch dev --cluster`: the local control plane of the state folder (`segwatch cluster up`),
// started here when none runs. It is left running when dev stops, like one `cluster up` started.

import { clusterUp, readClusterState } from "../cluster/command.ts";
import { isRunning } from "../cluster/control-plane.ts";

export async function devClusterKubeconfig(
  stateDir: string,
  out: (line: string) => void,
): Promise<string> {
  const state = await readClusterState(stateDir);
  if (state && isRunning(state)) {
    out(`segwatch dev: using the control plane at ${state.server} (${state.kubeconfig})`);
    return state.kubeconfig;
  }
  out("segwatch dev: starting a local control plane (stop it with `segwatch cluster down`)");
  const cp = await clusterUp({ stateDir, log: (line) => out(`segwatch dev: cluster: ${line}`) });
  return cp.kubeconfigPath;
}
