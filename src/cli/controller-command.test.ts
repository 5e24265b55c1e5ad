import { describe, expect, it } from "vitest";
import { parseHostPort } from "./controller-command.ts";

describe("parseHostPort", () => {
  it("reads host:port, :port (all interfaces) and bracketed IPv6", () => {
    expect(parseHostPort(":8081")).toEqual({ host: "0.0.0.0", port: 8081 });
    expect(parseHostPort("127.0.0.1:0")).toEqual({ host: "127.0.0.1", port: 0 });
    expect(parseHostPort("[::1]:9000")).toEqual({ host: "::1", port: 9000 });
  });

  it("names the flag when the value is wrong", () => {
    expect(() => parseHostPort("8081")).toThrow(/--health-addr/);
    expect(() => parseHostPort("host:99999")).toThrow(/--health-addr/);
  });
});
