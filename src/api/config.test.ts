import { describe, expect, it } from "vitest";
import { DEFAULT_PARTITIONS } from "../profile/identity.ts";
import {
  ApiConfigError,
  apiConfig,
  apiConfigFromEnv,
  parseTokens,
  tokenFingerprint,
} from "./config.ts";
import { DEFAULT_API_HOST, DEFAULT_API_PORT, DEFAULT_BODY_LIMIT } from "./defaults.ts";

describe("parseTokens", () => {
  it("reads token=namespace pairs, ignoring blanks and spaces", () => {
    expect(parseTokens(" tok1=acme, tok2=beta ,,")).toEqual(
      new Map([
        ["tok1", "acme"],
        ["tok2", "beta"],
      ]),
    );
  });

  it("keeps '=' inside a token (base64 padding) by splitting at the last one", () => {
    expect(parseTokens("abc==acme")).toEqual(new Map([["abc=", "acme"]]));
  });

  it("refuses malformed entries without echoing the token", () => {
    expect(() => parseTokens("secret-token")).toThrow(ApiConfigError);
    expect(() => parseTokens("secret-token")).not.toThrow(/secret-token/);
    expect(() => parseTokens("tok=")).toThrow(/token=namespace/);
  });

  it("refuses namespaces that are not resource names", () => {
    expect(() => parseTokens("tok=Acme_Corp")).toThrow(/namespace/);
  });

  it("refuses one token for two namespaces", () => {
    expect(() => parseTokens("tok=acme,tok=beta")).toThrow(/both/);
  });
});

describe("apiConfigFromEnv", () => {
  it("defaults", () => {
    const { config, listen } = apiConfigFromEnv({});
    expect(config.tokens.size).toBe(0);
    expect(config.bodyLimit).toBe(DEFAULT_BODY_LIMIT);
    expect(config.partitions).toBe(DEFAULT_PARTITIONS);
    expect(listen).toEqual({ host: DEFAULT_API_HOST, port: DEFAULT_API_PORT });
  });

  it("SEGWATCH_API_TOKEN opens namespace default, beside SEGWATCH_API_TOKENS", () => {
    const { config } = apiConfigFromEnv({
      SEGWATCH_API_TOKEN: "single",
      SEGWATCH_API_TOKENS: "tok1=acme",
    });
    expect(config.tokens).toEqual(
      new Map([
        ["tok1", "acme"],
        ["single", "default"],
      ]),
    );
  });

  it("reads limits, partitions and the listen address", () => {
    const { config, listen } = apiConfigFromEnv({
      SEGWATCH_API_BODY_LIMIT: "2048",
      SEGWATCH_PARTITIONS: "4",
      SEGWATCH_API_HOST: "127.0.0.1",
      SEGWATCH_API_PORT: "9090",
    });
    expect(config.bodyLimit).toBe(2048);
    expect(config.partitions).toBe(4);
    expect(listen).toEqual({ host: "127.0.0.1", port: 9090 });
  });

  it("refuses nonsense numbers", () => {
    expect(() => apiConfigFromEnv({ SEGWATCH_API_PORT: "http" })).toThrow(/SEGWATCH_API_PORT/);
    expect(() => apiConfigFromEnv({ SEGWATCH_PARTITIONS: "0" })).toThrow(/partitions/);
    expect(() => apiConfig({ bodyLimit: 1.5 })).toThrow(/bodyLimit/);
  });

  it("refuses the single token also listed for another namespace", () => {
    expect(() =>
      apiConfigFromEnv({ SEGWATCH_API_TOKEN: "t", SEGWATCH_API_TOKENS: "t=acme" }),
    ).toThrow(/also in SEGWATCH_API_TOKENS/);
  });
});

describe("tokenFingerprint", () => {
  it("is stable, 32 hex digits, and not the token", () => {
    const f = tokenFingerprint("tok1");
    expect(f).toMatch(/^[0-9a-f]{32}$/);
    expect(tokenFingerprint("tok1")).toBe(f);
    expect(tokenFingerprint("tok2")).not.toBe(f);
  });
});
