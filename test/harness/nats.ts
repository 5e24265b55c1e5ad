// The integration tiers start real nats-servers with the same launcher `segwatch dev` uses.
export {
  type NatsServer,
  type NatsServerOptions,
  natsServerBinary,
  startNatsServer,
} from "../../src/nats/embedded-server.ts";
