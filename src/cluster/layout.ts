// The files of one control plane inside its data directory.

import { join } from "node:path";

export interface DataLayout {
  readonly dataDir: string;
  readonly etcdDir: string;
  /** kube-apiserver writes its self-signed serving certificate (apiserver.crt, with its CA) here. */
  readonly apiserverCertDir: string;
  readonly apiserverCert: string;
  readonly controllerManagerCertDir: string;
  readonly tokenFile: string;
  readonly serviceAccountKey: string;
  /** The admin kubeconfig kube-controller-manager uses. */
  readonly controllerManagerKubeconfig: string;
  readonly logDir: string;
  readonly stateFile: string;
}

export function dataLayout(dataDir: string): DataLayout {
  return {
    dataDir,
    etcdDir: join(dataDir, "etcd"),
    apiserverCertDir: join(dataDir, "pki", "apiserver"),
    apiserverCert: join(dataDir, "pki", "apiserver", "apiserver.crt"),
    controllerManagerCertDir: join(dataDir, "pki", "controller-manager"),
    tokenFile: join(dataDir, "tokens.csv"),
    serviceAccountKey: join(dataDir, "service-account.key"),
    controllerManagerKubeconfig: join(dataDir, "controller-manager.kubeconfig"),
    logDir: join(dataDir, "logs"),
    stateFile: join(dataDir, "state.json"),
  };
}

export function logFile(layout: DataLayout, component: string): string {
  return join(layout.logDir, `${component}.log`);
}
