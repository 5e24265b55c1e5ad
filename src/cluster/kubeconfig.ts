// The kubeconfig of a local control plane: one cluster, an admin and an operator user, a context each.

import { dump } from "js-yaml";
import { KUBECONFIG_NAMES } from "./defaults.ts";

export interface KubeconfigInput {
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** PEM of the CA that signed the API server's serving certificate. */
  readonly caPem: string;
  readonly adminToken: string;
  /** Omitted: no operator context. */
  readonly operatorToken?: string;
}

export function renderKubeconfig(input: KubeconfigInput): string {
  const n = KUBECONFIG_NAMES;
  const users: { name: string; user: { token: string } }[] = [
    { name: n.adminUser, user: { token: input.adminToken } },
  ];
  const contexts: { name: string; context: { cluster: string; user: string } }[] = [
    { name: n.adminContext, context: { cluster: n.cluster, user: n.adminUser } },
  ];
  if (input.operatorToken !== undefined) {
    users.push({ name: n.operatorUser, user: { token: input.operatorToken } });
    contexts.push({
      name: n.operatorContext,
      context: { cluster: n.cluster, user: n.operatorUser },
    });
  }
  return dump(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: n.cluster,
          cluster: {
            server: input.server,
            "certificate-authority-data": Buffer.from(input.caPem, "utf8").toString("base64"),
          },
        },
      ],
      users,
      contexts,
      "current-context": n.adminContext,
      preferences: {},
    },
    { lineWidth: -1, noRefs: true },
  );
}
