import { describe, expect, it } from "vitest";
import type { KubernetesObject } from "@kubernetes/client-node";
import { ConfigError, describeConfig, loadConfig } from "@kubefed/config";
import { parseKeyring } from "@kubefed/events";
import { hostedNames } from "@kubefed/names";
import {
  DNS_PROVIDER_CONFIG_VARIABLE,
  apiserverServiceOf,
  checkServiceConfigs,
  controlPlaneManifests,
  dnsSyncEnv,
} from "./manifests.ts";
import type { Material } from "./objects.ts";
import { planInit, type InitOptions } from "./options.ts";

const BASE: InitOptions = {
  name: "fellowship",
  hostClusterContext: "rivendell",
  apiserverEnableBasicAuth: false,
  apiserverEnableTokenAuth: true,
  apiServerServiceType: "LoadBalancer",
  kafkaPersistentStorage: true,
  kafkaPvCapacity: "10Gi",
  image: "kubefed/kubefed:test",
  kafkaImage: "apache/kafka:3.9.1",
  dryRun: false,
  wait: true,
  timeout: 300,
};
const FILES: Record<string, string> = {
  "/dns.conf": "[Global]\netcd-endpoints = http://etcd:2379\nzones = example.com.\n",
};
const read = (path: string) => {
  const text = FILES[path];
  if (text === undefined) throw Object.assign(new Error("no such file"), { code: "ENOENT" });
  return text;
};
const MATERIAL: Material = {
  ca: { cert: "CA-CERT", key: "CA-KEY" },
  serving: { cert: "TLS-CERT", key: "TLS-KEY" },
  adminToken: "tok",
  adminPassword: "pw",
  keyring: JSON.stringify({ primary: "k", keys: { k: Buffer.alloc(32, 1).toString("base64") } }),
  kafkaClusterId: "AAAAAAAAAAAAAAAAAAAAAA",
};

const build = (o: Partial<InitOptions> = {}) => controlPlaneManifests(planInit({ ...BASE, ...o }, read), MATERIAL);
const find = (objects: KubernetesObject[], kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata?.name === name);
  if (!o) throw new Error(`no ${kind} ${name} among ${objects.map((x) => `${x.kind}/${x.metadata?.name}`).join(" ")}`);
  return o as KubernetesObject & { spec: any; stringData: Record<string, string> }; // eslint-disable-line @typescript-eslint/no-explicit-any
};
const names = hostedNames("fellowship");
const container = (o: { spec: any }) => o.spec.template.spec.containers[0]; // eslint-disable-line @typescript-eslint/no-explicit-any
const envOf = (o: { spec: any }): Record<string, string> =>
  // eslint-disable-line @typescript-eslint/no-explicit-any
  Object.fromEntries((container(o).env as { name: string; value: string }[]).map((e) => [e.name, e.value]));

describe("the control plane's manifests", () => {
  it("have auth Secrets of the enabled modes only, mounted where the ingest is told to read them", () => {
    const tokenOnly = build();
    expect(tokenOnly.filter((o) => o.kind === "Secret").map((o) => o.metadata?.name)).toEqual([
      names.ca,
      names.serving,
      names.tokenAuth,
      names.keyring,
    ]);
    expect(find(tokenOnly, "Secret", names.tokenAuth).stringData["token-auth.csv"]).toBe(
      'tok,admin,admin,"system:masters"\n',
    );
    const both = build({ apiserverEnableBasicAuth: true });
    const env = envOf(find(both, "Deployment", names.apiserver));
    expect(env["INGEST_BASIC_AUTH_FILE"]).toBe("/etc/kubefed/auth/basic/basic-auth.csv");
    const mounts = container(find(both, "Deployment", names.apiserver)).volumeMounts as {
      name: string;
      mountPath: string;
    }[];
    for (const file of [
      env["INGEST_TOKEN_AUTH_FILE"],
      env["INGEST_BASIC_AUTH_FILE"],
      env["INGEST_TLS_CERT_FILE"],
      env["INGEST_SECRETS_KEY_FILE"],
    ])
      expect(
        mounts.some((m) => file?.startsWith(`${m.mountPath}/`)),
        String(file),
      ).toBe(true);
    const basicOnly = build({ apiserverEnableBasicAuth: true, apiserverEnableTokenAuth: false });
    expect(envOf(find(basicOnly, "Deployment", names.apiserver))["INGEST_TOKEN_AUTH_FILE"]).toBeUndefined();
    expect(basicOnly.some((o) => o.metadata?.name === names.tokenAuth)).toBe(false);
  });

  it("give the ingest and propagator an environment libs/config loads, and the overrides as arguments", () => {
    const objects = build({ apiserverArgOverrides: "--anonymous-auth=false,--v=4" });
    const ingest = find(objects, "Deployment", names.apiserver);
    expect(container(ingest).args).toEqual(["--anonymous-auth=false", "--log-level=debug"]);
    expect(container(ingest).command).toEqual(["node", "services/ingest/dist/main.mjs"]);
    const config = loadConfig("ingest", envOf(ingest), { anonymousAuth: false, logLevel: "debug" });
    expect(config.federationName).toBe("fellowship");
    expect(config.kafka.brokers).toEqual(["fellowship-kafka-0.fellowship-kafka.federation-system.svc:9092"]);
    expect(config.auth).toMatchObject({ anonymous: false, basicFile: undefined });
    const propagator = loadConfig("propagator", envOf(find(objects, "Deployment", names.propagator)));
    expect(propagator.secretsKeyFile).toBe("/etc/kubefed/keyring/keys.json");
    expect(() => parseKeyring(find(objects, "Secret", names.keyring).stringData["keys.json"] ?? "")).not.toThrow();
  });

  it("embed Kafka on the claim, or an emptyDir, or use the given brokers", () => {
    const embedded = build({ kafkaPvStorageClass: "fast" });
    expect(find(embedded, "PersistentVolumeClaim", names.kafkaClaim).spec).toEqual({
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "10Gi" } },
      storageClassName: "fast",
    });
    expect(find(embedded, "StatefulSet", names.kafka).spec.template.spec.volumes).toEqual([
      { name: "data", persistentVolumeClaim: { claimName: names.kafkaClaim } },
    ]);
    const reserved = controlPlaneManifests(planInit(BASE, read), MATERIAL, { name: "pv-1", storageClass: "" });
    expect(find(reserved, "PersistentVolumeClaim", names.kafkaClaim).spec).toMatchObject({
      volumeName: "pv-1",
      storageClassName: "",
    });
    const ephemeral = build({ kafkaPersistentStorage: false });
    expect(ephemeral.some((o) => o.kind === "PersistentVolumeClaim")).toBe(false);
    expect(find(ephemeral, "StatefulSet", names.kafka).spec.template.spec.volumes).toEqual([
      { name: "data", emptyDir: {} },
    ]);
    const external = build({ kafkaBrokers: "k1:9092,k2:9092" });
    expect(external.some((o) => o.metadata?.name === names.kafka || o.kind === "PersistentVolumeClaim")).toBe(false);
    expect(envOf(find(external, "Deployment", names.propagator))["KAFKA_BROKERS"]).toBe("k1:9092,k2:9092");
  });

  it("expose the API as a LoadBalancer, or a NodePort carrying the advertised address", () => {
    expect((apiserverServiceOf(planInit(BASE, read)) as { spec: unknown }).spec).toMatchObject({
      type: "LoadBalancer",
    });
    const plan = planInit({ ...BASE, apiServerServiceType: "NodePort", apiServerAdvertiseAddress: "10.0.0.5" }, read);
    expect(apiserverServiceOf(plan)).toMatchObject({
      metadata: { annotations: { "federation.kubernetes.io/api-server-advertise-address": "10.0.0.5" } },
      spec: { type: "NodePort", ports: [{ port: 443, targetPort: "https" }] },
    });
  });

  it("run dns-sync only with a provider, with the zone and the provider config mounted", () => {
    expect(build().some((o) => o.metadata?.name === names.dnsSync)).toBe(false);
    const objects = build({ dnsProvider: "coredns", dnsZoneName: "Example.COM.", dnsProviderConfig: "/dns.conf" });
    const env = envOf(find(objects, "Deployment", names.dnsSync));
    expect(env).toMatchObject({
      DNS_SYNC_ZONE_NAME: "example.com.",
      [DNS_PROVIDER_CONFIG_VARIABLE]: "/etc/kubefed/dns/provider.conf",
    });
    expect(find(objects, "Secret", names.dnsProviderConfig).stringData["provider.conf"]).toBe(FILES["/dns.conf"]);
    // Every variable is one of dns-sync's, and together they load (the config file is read by dns-sync itself).
    const known = new Set(describeConfig("dns-sync").map((v) => v.name));
    expect(Object.keys(env).filter((k) => !known.has(k))).toEqual([]);
    const rest =
      dnsSyncEnv(
        planInit(
          { ...BASE, dnsProvider: "coredns", dnsZoneName: "example.com.", dnsProviderConfig: "/dns.conf" },
          read,
        ),
        names,
      ) ?? {};
    expect(loadConfig("dns-sync", rest).zoneName).toBe("example.com.");
  });

  it("label every object with the federation, so delete finds them all", () => {
    for (const o of build({ dnsProvider: "rfc2136", dnsZoneName: "example.com.", dnsProviderConfig: "/dns.conf" }))
      expect(o.metadata?.labels?.["federation.kubernetes.io/control-plane"], `${o.kind}/${o.metadata?.name}`).toBe(
        "fellowship",
      );
  });
});

describe("planInit and checkServiceConfigs refuse bad input in one line", () => {
  const refuse = (o: Partial<InitOptions>) => {
    try {
      checkServiceConfigs(planInit({ ...BASE, ...o }, read));
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      return (e as Error).message;
    }
    return "accepted";
  };
  const dns = { dnsProvider: "coredns", dnsZoneName: "example.com.", dnsProviderConfig: "/dns.conf" };
  it.each([
    [{ ...dns, dnsZoneName: "example.com" }, `--dns-zone-name "example.com" must end with '.', e.g. "example.com."`],
    [{ ...dns, dnsProvider: "route53" }, `--dns-provider "route53" is not supported: use coredns or rfc2136`],
    [{ ...dns, dnsProviderConfig: "/missing.conf" }, "--dns-provider-config /missing.conf: no such file"],
    [
      { ...dns, dnsProviderConfig: undefined },
      "--dns-provider-config is required with --dns-provider coredns (its [Global] section)",
    ],
    [{ dnsZoneName: "example.com." }, "--dns-zone-name needs --dns-provider (coredns or rfc2136)"],
    [
      { apiserverArgOverrides: "--no-such-flag=1" },
      expect.stringContaining("--no-such-flag is not an option of the federation API"),
    ],
    [
      { apiServerAdvertiseAddress: "10.0.0.5" },
      "--api-server-advertise-address needs --api-server-service-type=NodePort",
    ],
    [
      { apiServerServiceType: "NodePort", apiServerAdvertiseAddress: "host" },
      `--api-server-advertise-address "host" is not an IP address`,
    ],
    [{ name: "Fellowship" }, expect.stringContaining(`invalid federation name "Fellowship"`)],
    [{ kafkaPvCapacity: "lots" }, `--kafka-pv-capacity "lots" is not a quantity, e.g. 10Gi`],
    [
      { kafkaBrokers: "k:9092", kafkaPvStorageClass: "x" },
      "--kafka-pv-storage-class applies to the embedded Kafka, not to --kafka-brokers",
    ],
    [
      { apiserverArgOverrides: "--max-watch-timeout=soon" },
      expect.stringMatching(/^--apiserver-arg-overrides: --max-watch-timeout="soon"/),
    ],
  ])("%j", (o, message) => {
    expect(refuse(o as Partial<InitOptions>)).toEqual(message);
  });

  it("accepts the seed's invocation", () => {
    expect(
      refuse({ ...dns, apiserverEnableBasicAuth: true, apiserverArgOverrides: "--anonymous-auth=false,--v=4" }),
    ).toBe("accepted");
  });
});
