import { describe, expect, it } from "vitest";
import { CommanderError, type Command } from "commander";
import { program } from "./program.ts";

/** Parses argv with a program whose errors are thrown and whose output is captured instead of printed. */
function parse(args: string[]): {
  error?: CommanderError;
  out: string;
  err: string;
  parsed?: Record<string, unknown>;
  positional?: unknown[];
} {
  let out = "";
  let err = "";
  let parsed: Record<string, unknown> | undefined;
  let positional: unknown[] | undefined;
  const p = program();
  p.exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  for (const c of p.commands as Command[]) {
    c.exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
    // Commander passes the arguments, then the options, then the command.
    c.action((...a: unknown[]) => {
      parsed = a[a.length - 2] as Record<string, unknown>;
      positional = a.slice(0, -2);
    });
  }
  try {
    p.parse(["node", "kubefed", ...args]);
  } catch (e) {
    if (e instanceof CommanderError) return { error: e, out, err };
    throw e;
  }
  return { out, err, parsed, positional };
}

describe("kubefed up flags", () => {
  it("defaults to two members and a kubeconfig under .run", () => {
    expect(parse(["up"]).parsed).toMatchObject({
      members: ["member1", "member2"],
      kubeconfig: ".run/kubeconfig",
      withDns: false,
      withOpa: false,
    });
  });

  it("takes a member count or a list of names", () => {
    expect(parse(["up", "--members", "3"]).parsed?.members).toEqual(["member1", "member2", "member3"]);
    expect(parse(["up", "--members", "us-east,eu-west"]).parsed?.members).toEqual(["us-east", "eu-west"]);
  });

  it("runs Kafka plaintext unless --kafka-security sasl_ssl", () => {
    expect(parse(["up"]).parsed?.kafkaSecurity).toBe("plaintext");
    expect(parse(["up", "--kafka-security", "sasl_ssl"]).parsed?.kafkaSecurity).toBe("sasl_ssl");
  });

  it.each([
    [["--kafka-security", "ssl"], "Allowed choices are plaintext, sasl_ssl"],
    [["--members", "Bad_Name"], '"Bad_Name" is not a valid cluster name'],
    [["--members", "a,a"], "must be distinct"],
    [["--members", "0"], "give 1 to 8 member clusters"],
    [["--base-port", "80"], "between 1024 and 65000"],
    [["--base-port", "x"], "between 1024 and 65000"],
    [["--nope"], "unknown option '--nope'"],
  ])("rejects %j with a clear message", (args, message) => {
    const r = parse(["up", ...args]);
    expect(r.error).toBeDefined();
    expect(r.err).toContain(message);
  });

  it("shows examples in --help", () => {
    const r = parse(["up", "--help"]);
    expect(r.error?.code).toBe("commander.helpDisplayed");
    expect(r.out).toContain("Examples:");
    expect(r.out).toContain("kubefed up --members 3");
  });
});

describe("kubefed join and unjoin flags", () => {
  const contexts = ["--host-cluster-context=federation", "--cluster-context=east"];

  it("join takes NAME and the kubectl-style contexts; the federation name defaults to federation", () => {
    const r = parse(["join", "east", ...contexts, "--region", "us-east1", "--labels", "env=prod"]);
    expect(r.positional).toEqual(["east"]);
    expect(r.parsed).toEqual({
      hostClusterContext: "federation",
      clusterContext: "east",
      region: "us-east1",
      labels: "env=prod",
      federationName: "federation",
    });
  });

  it("unjoin needs only the federation context; --cleanup is off by default", () => {
    expect(parse(["unjoin", "east", "--host-cluster-context", "federation"]).parsed).toEqual({
      hostClusterContext: "federation",
      cleanup: false,
      federationName: "federation",
    });
    expect(
      parse(["unjoin", "east", "--host-cluster-context", "federation", "--cleanup", "--federation-name", "f"]).parsed,
    ).toMatchObject({ cleanup: true, federationName: "f" });
  });

  it.each([
    [["join", "east", "--cluster-context=east"], "required option '--host-cluster-context <context>' not specified"],
    [
      ["join", "east", "--host-cluster-context=federation"],
      "required option '--cluster-context <context>' not specified",
    ],
    [["join", ...contexts], "missing required argument 'NAME'"],
    [["unjoin", "east"], "required option '--host-cluster-context <context>' not specified"],
    [["unjoin", "east", "--host-cluster-context=f", "--purge"], "unknown option '--purge'"],
  ])("refuses %j with one clear line", (args, message) => {
    const r = parse(args);
    expect(r.error?.exitCode).toBe(1);
    expect(r.err.split("\n")[0]).toContain(message);
  });

  it.each([
    ["join", "kubefed join eu-west --host-cluster-context=federation --cluster-context=eu-west"],
    ["unjoin", "kubefed unjoin eu-west --host-cluster-context=federation --cleanup"],
  ])("%s --help shows examples", (command, example) => {
    const r = parse([command, "--help"]);
    expect(r.error?.code).toBe("commander.helpDisplayed");
    expect(r.out).toContain("Examples:");
    expect(r.out).toContain(example);
  });
});
