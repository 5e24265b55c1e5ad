import { describe, expect, it } from "vitest";
import {
  EventHubSettingsError,
  parseEventHubConnectionString,
  redactEventHubSecrets,
  resolveEventHubTarget,
} from "./eventhub-settings.ts";

const CS = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=abc=";

describe("parseEventHubConnectionString", () => {
  it("reads the parts the portal writes, keys with '=' in them included", () => {
    expect(parseEventHubConnectionString(`${CS};EntityPath=hub`)).toEqual({
      endpoint: "sb://ns.servicebus.windows.net/",
      host: "ns.servicebus.windows.net",
      sharedAccessKeyName: "send",
      sharedAccessKey: "abc=",
      entityPath: "hub",
      useDevelopmentEmulator: false,
    });
  });

  it("reads the emulator's form, with a port and plain AMQP", () => {
    const p = parseEventHubConnectionString(
      "Endpoint=sb://127.0.0.1:5673;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true",
    );
    expect(p).toMatchObject({ host: "127.0.0.1:5673", useDevelopmentEmulator: true });
  });

  it("takes a pre-signed SharedAccessSignature instead of a key", () => {
    const p = parseEventHubConnectionString(
      "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessSignature=SharedAccessSignature sr=x&sig=y&se=1&skn=k",
    );
    expect(p.sharedAccessSignature).toMatch(/^SharedAccessSignature sr=x/);
  });

  it.each([
    ["", /no Endpoint/],
    ["just some text", /malformed/],
    ["Endpoint=https://ns/;SharedAccessKeyName=a;SharedAccessKey=b", /sb:\/\//],
    ["Endpoint=sb://ns/;SharedAccessKey=b", /no SharedAccessKeyName/],
    ["Endpoint=sb://ns/;SharedAccessKeyName=a", /no SharedAccessKey /],
    ["Endpoint=sb://ns/;SharedAccessSignature=sig", /must start with/],
    [`${CS};UseDevelopmentEmulator=yes`, /true or false/],
  ])("refuses %j", (raw, reason) => {
    expect(() => parseEventHubConnectionString(raw)).toThrow(reason);
    expect(() => parseEventHubConnectionString(raw)).toThrow(EventHubSettingsError);
  });

  it("never puts the key into its messages", () => {
    try {
      parseEventHubConnectionString("Endpoint=ftp://x;SharedAccessKey=topsecret");
    } catch (err) {
      expect((err as Error).message).not.toContain("topsecret");
    }
  });
});

describe("resolveEventHubTarget", () => {
  it("takes the subscription's hub name", () => {
    expect(resolveEventHubTarget(CS, "hub").eventHubName).toBe("hub");
  });

  it("falls back to the EntityPath, and accepts both when they agree", () => {
    expect(resolveEventHubTarget(`${CS};EntityPath=hub`, undefined).eventHubName).toBe("hub");
    expect(resolveEventHubTarget(`${CS};EntityPath=hub`, "hub").eventHubName).toBe("hub");
  });

  it("refuses a mismatch, naming both and blaming the hub name", () => {
    let err: unknown;
    try {
      resolveEventHubTarget(`${CS};EntityPath=a`, "b");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EventHubSettingsError);
    expect(err).toMatchObject({
      field: "eventHubName",
      message: 'the event hub name "b" does not match the connection string\'s EntityPath "a"',
    });
  });

  it.each([
    [CS, undefined, "eventHubName", /required/],
    [CS, "bad/name", "eventHubName", /not a valid event hub name/],
    [undefined, "hub", "connectionString", /no connection string/],
  ])("refuses %j with hub %j (%s)", (cs, hub, field, reason) => {
    expect(() => resolveEventHubTarget(cs, hub)).toThrow(reason);
    try {
      resolveEventHubTarget(cs, hub);
    } catch (err) {
      expect((err as EventHubSettingsError).field).toBe(field);
    }
  });
});

describe("redactEventHubSecrets", () => {
  it("masks keys and signatures wherever an error text quotes them", () => {
    const text = `bad "${CS};EntityPath=x" and SharedAccessSignature sr=a&sig=abc%3D&se=1`;
    const out = redactEventHubSecrets(text);
    expect(out).not.toContain("abc=");
    expect(out).not.toContain("abc%3D");
    expect(out).toContain("SharedAccessKeyName=send");
    expect(out).toContain("EntityPath=x");
  });
});
