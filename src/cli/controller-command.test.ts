import { describe, expect, it } from "vitest";
import {
  type ControllerCommandFlags,
  ControllerFlagError,
  deliveryPodSettings,
  parseHostPort,
} from "./controller-command.ts";

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

describe("deliveryPodSettings", () => {
  const base = { source: "kube", resources: "", leaderElect: true, healthAddr: ":8081" } as const;

  it("is empty without --delivery-* pod flags", () => {
    expect(deliveryPodSettings(base)).toEqual({});
  });

  it("reads the Secret and its keys, the ServiceAccount and the image pull settings", () => {
    expect(
      deliveryPodSettings({
        ...base,
        deliveryNatsSecret: "segwatch-nats",
        deliveryNatsCredsKey: "nats.creds",
        deliveryNatsUserKey: "user",
        deliveryNatsPasswordKey: "password",
        deliveryServiceAccount: "segwatch-deliver",
        deliveryImagePullPolicy: "Always",
        deliveryImagePullSecrets: "registry-a, registry-b,",
      }),
    ).toEqual({
      natsAuth: {
        secretName: "segwatch-nats",
        credsKey: "nats.creds",
        userKey: "user",
        passwordKey: "password",
      },
      serviceAccountName: "segwatch-deliver",
      imagePullPolicy: "Always",
      imagePullSecrets: ["registry-a", "registry-b"],
    });
  });

  it("names the flag when a value cannot work", () => {
    const fails = (flags: Partial<ControllerCommandFlags>, message: RegExp) => {
      const read = () => deliveryPodSettings({ ...base, ...flags });
      expect(read).toThrow(ControllerFlagError);
      expect(read).toThrow(message);
    };
    fails({ deliveryNatsTokenKey: "token" }, /^--delivery-nats-secret: required with/);
    fails({ deliveryNatsSecret: "s" }, /^--delivery-nats-secret: name at least one key/);
    fails(
      { deliveryNatsSecret: "s", deliveryNatsPasswordKey: "p" },
      /^--delivery-nats-password-key: needs --delivery-nats-user-key/,
    );
    fails(
      { deliveryNatsSecret: "Bad_Name", deliveryNatsTokenKey: "t" },
      /^--delivery-nats-secret: "Bad_Name" is not a Kubernetes object name/,
    );
    fails(
      { deliveryNatsSecret: "s", deliveryNatsCredsKey: "a/b" },
      /^--delivery-nats-creds-key: "a\/b" is not a Secret key/,
    );
    fails({ deliveryServiceAccount: "-sa" }, /^--delivery-service-account:/);
    fails({ deliveryImagePullSecrets: "ok,NOT OK" }, /^--delivery-image-pull-secrets: "NOT OK"/);
    fails(
      { deliveryImagePullPolicy: "Sometimes" as "Always" },
      /^--delivery-image-pull-policy: "Sometimes" is not one of Always, IfNotPresent, Never/,
    );
  });
});
