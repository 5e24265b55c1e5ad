import { describe, expect, it } from "vitest";
import { apiserverArgs, controllerManagerArgs, etcdArgs } from "./flags.ts";
import { dataLayout } from "./layout.ts";

const layout = dataLayout("/data/cp");
const ports = { etcdClient: 2001, etcdPeer: 2002, apiserver: 6443, controllerManager: 10257 };
const flag = (args: string[], name: string) =>
  args.filter((a) => a.startsWith(`--${name}=`)).map((a) => a.slice(name.length + 3));

describe("etcd flags", () => {
  const args = etcdArgs(layout, ports);
  it("serve clients and peers on loopback only, from the data directory", () => {
    expect(flag(args, "listen-client-urls")).toEqual(["http://127.0.0.1:2001"]);
    expect(flag(args, "advertise-client-urls")).toEqual(["http://127.0.0.1:2001"]);
    expect(flag(args, "listen-peer-urls")).toEqual(["http://127.0.0.1:2002"]);
    expect(flag(args, "initial-cluster")).toEqual(["segwatch=http://127.0.0.1:2002"]);
    expect(flag(args, "data-dir")).toEqual(["/data/cp/etcd"]);
    expect(args).toContain("--unsafe-no-fsync");
  });
});

describe("kube-apiserver flags", () => {
  const args = apiserverArgs(layout, ports);
  it("bind to loopback with a self-signed certificate in the data directory", () => {
    expect(flag(args, "bind-address")).toEqual(["127.0.0.1"]);
    expect(flag(args, "secure-port")).toEqual(["6443"]);
    expect(flag(args, "cert-dir")).toEqual(["/data/cp/pki/apiserver"]);
    expect(flag(args, "etcd-servers")).toEqual(["http://127.0.0.1:2001"]);
  });
  it("authenticate with the token file and authorize with RBAC", () => {
    expect(flag(args, "token-auth-file")).toEqual(["/data/cp/tokens.csv"]);
    expect(flag(args, "authorization-mode")).toEqual(["RBAC"]);
  });
  it("sign and verify ServiceAccount tokens with the one key", () => {
    expect(flag(args, "service-account-key-file")).toEqual(["/data/cp/service-account.key"]);
    expect(flag(args, "service-account-signing-key-file")).toEqual([
      "/data/cp/service-account.key",
    ]);
    expect(flag(args, "service-account-issuer")).toHaveLength(1);
  });
  it("need no kubelet, Service network or token controller", () => {
    expect(flag(args, "endpoint-reconciler-type")).toEqual(["none"]);
    expect(flag(args, "disable-admission-plugins")).toEqual(["ServiceAccount"]);
  });
});

describe("kube-controller-manager flags", () => {
  const args = controllerManagerArgs(layout, ports);
  it("run garbage collection and namespace deletion only, without leader election", () => {
    expect(flag(args, "controllers")).toEqual([
      "garbage-collector-controller,namespace-controller",
    ]);
    expect(flag(args, "leader-elect")).toEqual(["false"]);
    expect(flag(args, "kubeconfig")).toEqual(["/data/cp/controller-manager.kubeconfig"]);
    expect(flag(args, "secure-port")).toEqual(["10257"]);
    expect(flag(args, "bind-address")).toEqual(["127.0.0.1"]);
  });
});

describe("every component's command line names the data directory", () => {
  // `down` recognizes its processes by it (processes.ts isOurs).
  it.each([
    ["etcd", etcdArgs(layout, ports)],
    ["kube-apiserver", apiserverArgs(layout, ports)],
    ["kube-controller-manager", controllerManagerArgs(layout, ports)],
  ])("%s", (_name, args) => {
    expect(args.join(" ")).toContain("/data/cp/");
  });
});
