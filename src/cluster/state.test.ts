import { describe, expect, it } from "vitest";
import { shellQuote } from "./command.ts";
import { ClusterStateError } from "./errors.ts";
import { type ClusterState, parseState, renderState } from "./state.ts";

const state: ClusterState = {
  version: 1,
  dataDir: "/s/cluster",
  kubeconfig: "/s/kubeconfig",
  server: "https://127.0.0.1:6443",
  ports: { etcdClient: 2001, etcdPeer: 2002, apiserver: 6443, controllerManager: 10257 },
  processes: [
    { component: "etcd", pid: 100, logFile: "/s/cluster/logs/etcd.log" },
    { component: "kube-apiserver", pid: 101, logFile: "/s/cluster/logs/kube-apiserver.log" },
  ],
  startedAt: "2026-01-01T00:00:00.000Z",
};

describe("state file", () => {
  it("round-trips", () => {
    expect(parseState(renderState(state), "state.json")).toEqual(state);
  });

  it.each([
    ["not JSON", "{", /state.json: not JSON/],
    ["a wrong version", JSON.stringify({ ...state, version: 2 }), /version must be 1/],
    [
      "a missing data dir",
      JSON.stringify({ ...state, dataDir: "" }),
      /dataDir must be a non-empty string/,
    ],
    [
      "a bad port",
      JSON.stringify({ ...state, ports: { ...state.ports, apiserver: 0 } }),
      /ports.apiserver/,
    ],
    [
      "an unknown component",
      JSON.stringify({ ...state, processes: [{ component: "kubelet", pid: 5, logFile: "x" }] }),
      /processes\[0\].component/,
    ],
    [
      "a bad pid",
      JSON.stringify({ ...state, processes: [{ component: "etcd", pid: 1, logFile: "x" }] }),
      /processes\[0\].pid/,
    ],
  ])("names the field when it has %s", (_what, text, message) => {
    expect(() => parseState(text, "state.json")).toThrow(ClusterStateError);
    expect(() => parseState(text, "state.json")).toThrow(message);
  });
});

describe("shellQuote", () => {
  it("leaves plain paths alone and single-quotes the rest", () => {
    expect(shellQuote("/work/.segwatch/kubeconfig")).toBe("/work/.segwatch/kubeconfig");
    expect(shellQuote("/a b/c")).toBe("'/a b/c'");
    expect(shellQuote("/it's")).toBe("'/it'\\''s'");
  });
});
