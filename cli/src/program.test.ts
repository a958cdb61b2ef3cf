import { describe, expect, it } from "vitest";
import { CommanderError, type Command } from "commander";
import { program } from "./program.ts";

/** Parses argv with a program whose errors are thrown and whose output is captured instead of printed. */
function parse(args: string[]): { error?: CommanderError; out: string; err: string; parsed?: Record<string, unknown> } {
  let out = "";
  let err = "";
  let parsed: Record<string, unknown> | undefined;
  const p = program();
  p.exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  for (const c of p.commands as Command[]) {
    c.exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
    c.action((opts: Record<string, unknown>) => {
      parsed = opts;
    });
  }
  try {
    p.parse(["node", "kubefed", ...args]);
  } catch (e) {
    if (e instanceof CommanderError) return { error: e, out, err };
    throw e;
  }
  return { out, err, parsed };
}

describe("kubefed up flags", () => {
  it("defaults to two members and a kubeconfig under .run", () => {
    expect(parse(["up"]).parsed).toMatchObject({ members: ["member1", "member2"], kubeconfig: ".run/kubeconfig", withDns: false, withOpa: false });
  });

  it("takes a member count or a list of names", () => {
    expect(parse(["up", "--members", "3"]).parsed?.members).toEqual(["member1", "member2", "member3"]);
    expect(parse(["up", "--members", "us-east,eu-west"]).parsed?.members).toEqual(["us-east", "eu-west"]);
  });

  it.each([
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
