// A TCP port on 127.0.0.1 that was free a moment ago, for child processes that must be told their
// port up front (a server that can pick its own should be given 0 instead).

import { createServer } from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
