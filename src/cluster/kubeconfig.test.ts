import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { renderKubeconfig } from "./kubeconfig.ts";

describe("kubeconfig", () => {
  const yaml = renderKubeconfig({
    server: "https://127.0.0.1:6443",
    caPem: "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n",
    adminToken: "admin-token",
    operatorToken: "operator-token",
  });
  const cfg = load(yaml) as any;

  it("trusts the given CA for the loopback server", () => {
    expect(cfg.clusters).toHaveLength(1);
    expect(cfg.clusters[0].cluster.server).toBe("https://127.0.0.1:6443");
    const ca = Buffer.from(
      cfg.clusters[0].cluster["certificate-authority-data"],
      "base64",
    ).toString();
    expect(ca).toContain("BEGIN CERTIFICATE");
    expect(cfg.clusters[0].cluster["insecure-skip-tls-verify"]).toBeUndefined();
  });

  it("has an admin context (current) and an operator context", () => {
    expect(cfg["current-context"]).toBe("segwatch");
    const userOf = (ctx: string) => cfg.contexts.find((c: any) => c.name === ctx).context.user;
    const tokenOf = (user: string) => cfg.users.find((u: any) => u.name === user).user.token;
    expect(tokenOf(userOf("segwatch"))).toBe("admin-token");
    expect(tokenOf(userOf("segwatch-operator"))).toBe("operator-token");
  });

  it("leaves the operator out when it has no token", () => {
    const only = load(
      renderKubeconfig({ server: "https://127.0.0.1:1", caPem: "x", adminToken: "a" }),
    ) as any;
    expect(only.users).toHaveLength(1);
    expect(only.contexts).toHaveLength(1);
  });
});
