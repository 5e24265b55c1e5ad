// vitest globalSetup: one nats-server for the whole run of a project, for tiers
// whose test files can share a server (each file using its own stream, bucket
// and subject names). Wire it in with
//   test: { globalSetup: ["test/harness/nats-global-setup.ts"] }
// and read the URL in a test with `inject("natsUrl")` from "vitest".
import type { TestProject } from "vitest/node";
import { startNatsServer } from "./nats.ts";

declare module "vitest" {
  export interface ProvidedContext {
    natsUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startNatsServer();
  project.provide("natsUrl", server.url);
  return () => server.stop();
}
