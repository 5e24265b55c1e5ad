// Which resource source a command reads: a folder of manifests (`--source dir`, the default) or the
// Kubernetes API (`--source kube`, from --kubeconfig or $KUBECONFIG or the in-cluster account).

import { resolve } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { type Command, Option } from "commander";
import { DirectorySource } from "../resources/directory-source.ts";
import { loadKubeConfig } from "../resources/kube-client.ts";
import { KubernetesSource } from "../resources/kubernetes-source.ts";
import type { ResourceSource } from "../resources/source.ts";

export type SourceKind = "dir" | "kube";

export interface SourceFlags {
  readonly source: SourceKind;
  readonly resources: string;
  readonly kubeconfig?: string;
  /** Comma-separated namespaces (kube only; default all). */
  readonly namespaces?: string;
}

export const sourceOptions = (): Option[] => [
  new Option("--source <source>", "where resources live: a folder of manifests or the cluster")
    .choices(["dir", "kube"])
    .default("dir"),
  new Option(
    "--resources <dir>",
    "a folder of segwatch.io/v1alpha1 manifests (--source dir)",
  ).default(".segwatch/resources"),
  new Option(
    "--kubeconfig <file>",
    "kubeconfig (--source kube; default $KUBECONFIG or in-cluster)",
  ),
  new Option(
    "--namespaces <list>",
    "comma-separated namespaces to serve (--source kube; default all)",
  ),
];

export function withSourceOptions(command: Command): Command {
  for (const o of sourceOptions()) command.addOption(o);
  return command;
}

export interface OpenedSource {
  readonly source: ResourceSource;
  readonly kubeConfig: KubeConfig | undefined;
}

export function openSource(flags: SourceFlags, onError: (err: Error) => void): OpenedSource {
  if (flags.source === "kube") {
    const kubeConfig = loadKubeConfig(flags.kubeconfig);
    const namespaces = (flags.namespaces ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    return {
      source: new KubernetesSource({ kubeConfig, namespaces, onError }),
      kubeConfig,
    };
  }
  return {
    source: new DirectorySource({ dir: resolve(flags.resources), onError }),
    kubeConfig: undefined,
  };
}
