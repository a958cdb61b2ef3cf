import { describe, expect, it } from "vitest";
import { ConfigError, loadPropagatorConfig } from "./index.ts";

const problemsOf = (load: () => unknown): string[] => {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => p.message);
    throw error;
  }
  throw new Error("expected a ConfigError");
};

describe("loadPropagatorConfig", () => {
  it("serves all clusters with the default probe thresholds and periods", () => {
    expect(loadPropagatorConfig({})).toEqual({
      federationName: "federation",
      kafka: {
        brokers: ["127.0.0.1:9092"],
        clientId: "kubefed-propagator",
        objectsTopicPartitions: 1,
        replicationFactor: 1,
        security: { protocol: "plaintext" },
      },
      logLevel: "info",
      selection: { kind: "all" },
      healthProbeIntervalMs: 2000,
      failuresToOffline: 3,
      successesToReady: 2,
      resyncPeriodMs: 600_000,
      metricsPort: 9090,
      secretsKeyFile: undefined,
      concurrency: 16,
    });
  });

  it("selects named clusters or a region", () => {
    expect(loadPropagatorConfig({ PROPAGATOR_CLUSTERS: "us-east, eu.west" }).selection).toEqual({
      kind: "clusters",
      clusters: ["us-east", "eu.west"],
    });
    expect(loadPropagatorConfig({ PROPAGATOR_REGION: "europe-west1" }).selection).toEqual({
      kind: "region",
      region: "europe-west1",
    });
    expect(loadPropagatorConfig({ PROPAGATOR_REGION: "eu" }, { clusters: undefined }).selection).toEqual({
      kind: "region",
      region: "eu",
    });
  });

  it("reads the probe, resync and port settings and lets flags override them", () => {
    const config = loadPropagatorConfig(
      {
        PROPAGATOR_HEALTH_PROBE_INTERVAL: "500ms",
        PROPAGATOR_FAILURES_TO_OFFLINE: "5",
        PROPAGATOR_SUCCESSES_TO_READY: "1",
        PROPAGATOR_RESYNC_PERIOD: "1h",
        PROPAGATOR_METRICS_PORT: "19090",
      },
      { resyncPeriod: "30s", metricsPort: 0 },
    );
    expect(config).toMatchObject({
      healthProbeIntervalMs: 500,
      failuresToOffline: 5,
      successesToReady: 1,
      resyncPeriodMs: 30_000,
      metricsPort: 0,
    });
  });

  it("refuses clusters and region together, whether from env or flags", () => {
    expect(problemsOf(() => loadPropagatorConfig({ PROPAGATOR_CLUSTERS: "a", PROPAGATOR_REGION: "eu" }))).toEqual([
      "PROPAGATOR_CLUSTERS and PROPAGATOR_REGION are exclusive: set one of them, or neither to serve all clusters",
    ]);
    expect(problemsOf(() => loadPropagatorConfig({ PROPAGATOR_CLUSTERS: "a" }, { region: "eu" }))[0]).toContain(
      "--region (overrides PROPAGATOR_REGION) are exclusive",
    );
  });

  it("names the variable and what is allowed for each invalid value", () => {
    const cases: [Record<string, string>, string][] = [
      [
        { PROPAGATOR_CLUSTERS: "a,A" },
        'PROPAGATOR_CLUSTERS="a,A": each comma-separated item must be a DNS-1123 subdomain',
      ],
      [{ PROPAGATOR_CLUSTERS: "a,a" }, 'PROPAGATOR_CLUSTERS="a,a": must be a comma-separated list without duplicates'],
      [{ PROPAGATOR_REGION: "eu west" }, 'PROPAGATOR_REGION="eu west": must be a Kubernetes label value'],
      [{ PROPAGATOR_HEALTH_PROBE_INTERVAL: "2" }, 'PROPAGATOR_HEALTH_PROBE_INTERVAL="2": must be a positive duration'],
      [
        { PROPAGATOR_FAILURES_TO_OFFLINE: "0" },
        'PROPAGATOR_FAILURES_TO_OFFLINE="0": must be an integer from 1 to 1000',
      ],
      [
        { PROPAGATOR_SUCCESSES_TO_READY: "two" },
        'PROPAGATOR_SUCCESSES_TO_READY="two": must be an integer from 1 to 1000',
      ],
      [{ PROPAGATOR_RESYNC_PERIOD: "10 min" }, 'PROPAGATOR_RESYNC_PERIOD="10 min": must be a positive duration'],
      [{ PROPAGATOR_METRICS_PORT: "http" }, 'PROPAGATOR_METRICS_PORT="http": must be a port number'],
      [
        { PROPAGATOR_CLUSTER: "a" },
        "PROPAGATOR_CLUSTER is not a setting of this service (did you mean PROPAGATOR_CLUSTERS?)",
      ],
    ];
    for (const [env, message] of cases) {
      const problems = problemsOf(() => loadPropagatorConfig(env));
      expect(problems, JSON.stringify(env)).toHaveLength(1);
      expect(problems[0], JSON.stringify(env)).toContain(message);
    }
  });
});
