import { describe, expect, it } from "vitest";
import { CommanderError, type Command } from "commander";
import { program } from "../program.ts";

/** The options commander hands to a command's action, with output captured and actions replaced. */
function parse(args: string[]): { opts?: Record<string, unknown>; error?: CommanderError; err: string } {
  let err = "";
  let opts: Record<string, unknown> | undefined;
  const p = program();
  p.configureOutput({ writeOut: () => undefined, writeErr: (s) => (err += s) });
  for (const c of p.commands as Command[]) {
    c.configureOutput({ writeOut: () => undefined, writeErr: (s) => (err += s) });
    c.action((...a: unknown[]) => {
      opts = a[a.length - 2] as Record<string, unknown>;
    });
  }
  try {
    p.parse(["node", "kubefed", ...args]);
  } catch (e) {
    if (e instanceof CommanderError) return { error: e, err };
    throw e;
  }
  return { opts, err };
}

describe("kubefed init flags", () => {
  it("default as documented: LoadBalancer, token auth, embedded Kafka on a 10Gi claim, wait", () => {
    expect(parse(["init", "fed", "--host-cluster-context=host"]).opts).toMatchObject({
      hostClusterContext: "host",
      apiServerServiceType: "LoadBalancer",
      apiserverEnableTokenAuth: true,
      apiserverEnableBasicAuth: false,
      kafkaPersistentStorage: true,
      kafkaPvCapacity: "10Gi",
      image: "kubefed/kubefed:0.1.0",
      dryRun: false,
      wait: true,
      skipApiReadyz: false,
      timeout: 300,
    });
  });

  it("take the original's booleans as --flag, --flag=true and --flag=false", () => {
    const o = parse([
      "init",
      "fed",
      "--host-cluster-context=host",
      "--apiserver-enable-basic-auth",
      "--apiserver-enable-token-auth=false",
      "--wait=false",
      "--dry-run=true",
      "--timeout=2m",
    ]).opts;
    expect(o).toMatchObject({
      apiserverEnableBasicAuth: true,
      apiserverEnableTokenAuth: false,
      wait: false,
      dryRun: true,
      timeout: 120,
    });
    expect(parse(["init", "fed", "--host-cluster-context=h", "--wait=maybe"]).error?.message).toMatch(
      /must be true or false/,
    );
  });

  it("refuse a service type other than LoadBalancer or NodePort", () => {
    expect(
      parse(["init", "fed", "--host-cluster-context=h", "--api-server-service-type=ClusterIP"]).error?.message,
    ).toMatch(/Allowed choices are LoadBalancer, NodePort/);
  });

  it("delete keeps the data unless asked", () => {
    expect(parse(["delete", "fed", "--host-cluster-context=h"]).opts).toMatchObject({
      deleteData: false,
      timeout: 120,
    });
    expect(parse(["delete", "fed", "--host-cluster-context=h", "--delete-data"]).opts).toMatchObject({
      deleteData: true,
    });
  });
});
