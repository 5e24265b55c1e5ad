// The Event Hubs test peer in a process of its own, so that the benchmark's worker does not share its
// event loop with the peer. Prints {"port","connectionString"} as one JSON line, then runs until its
// stdin ends (it exits with the benchmark, even one that dies without stopping it).
import { startEventHubPeer } from "../test/harness/eventhub-peer.ts";

const hub = process.argv[2] ?? "bench";
const peer = await startEventHubPeer({ hubs: { [hub]: 4 } });
// The benchmark only needs the events accepted, not kept.
setInterval(() => {
  peer.events.length = 0;
  peer.transfers.length = 0;
}, 500).unref();
process.stdout.write(
  `${JSON.stringify({ port: peer.port, connectionString: peer.connectionString() })}\n`,
);
process.stdin.on("end", () => {
  void peer.close().then(() => process.exit(0));
});
process.stdin.resume();
process.on("SIGTERM", () => {
  void peer.close().then(() => process.exit(0));
});
