// A delivery worker in its own process, stopped by a real SIGTERM (delivery-stop.test.ts).
// argv: <nats url> <subscription id> <stop timeout ms>
import { runDeliveryWorker } from "../../src/delivery/run.ts";
import { TEST_TIMING } from "./delivery-support.ts";

const [url, subscriptionId, stopTimeoutMs] = process.argv.slice(2);
const run = await runDeliveryWorker({
  channel: "webhook",
  nats: { url: url! },
  webhook: { targetPolicy: { allowLoopback: true }, userAgent: "segwatch-child" },
  worker: { ...TEST_TIMING, stopTimeoutMs: Number(stopTimeoutMs), random: () => 0 },
  signals: ["SIGTERM"],
  log: () => {},
});
await run.worker.whenConsuming(subscriptionId!);
process.stdout.write("consuming\n");
await run.done;
process.stdout.write("stopped\n");
