// A member's kwok or kube-scheduler that never becomes ready stops with one line naming it and the tail of its
// log, and leaves no process behind.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { binaryPaths, LocalEnvError, Pki, startKwok, startScheduler } from "@kubefed/localenv";
import { env, kubectl } from "./helpers.ts";

/** A stand-in binary: a shell script with the given body. */
function script(dir: string, body: string): string {
  const path = join(dir, "component");
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const gone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

describe("member components that fail", () => {
  it("kwok that exits: the error names it and shows its log", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kwok-fail-"));
    const bin = { ...binaryPaths(), kwok: script(dir, 'echo "kwok: cannot load the stages" >&2; exit 3') };
    // Nodes of a name of their own in member1, which member1's own kwok does not manage: only this kwok could
    // make them Ready.
    const member = { ...env().members[0]!, name: "broken" };
    const topology = env().workloads[0]!.topology;
    const err = await startKwok(bin, dir, new Pki(join(dir, "pki")), member, 0, { nodes: 1, topology }, 30_000).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Nothing would run pods on it: it goes again.
    await kubectl(["--context", env().members[0]!.name, "delete", "node", "broken-node-0", "--ignore-not-found"]);
    expect(err).toBeInstanceOf(LocalEnvError);
    const e = err as LocalEnvError;
    expect(e.message).toMatch(new RegExp(`^kwok-${member.name}: exited with code 3 before it became ready; log: `));
    expect(e.message.split("\n")).toHaveLength(1);
    expect(e.describe()).toContain("kwok: cannot load the stages");
  });

  it("a kube-scheduler that never answers: not ready in time, stopped, the tail of its log", async () => {
    const dir = mkdtempSync(join(tmpdir(), "scheduler-hang-"));
    const bin = {
      ...binaryPaths(),
      kubeScheduler: script(dir, 'echo "scheduler: waiting for nothing"; echo $$ > pid; exec sleep 600'),
    };
    const member = env().members[0]!;
    const err = await startScheduler(bin, dir, new Pki(join(dir, "pki")), member, 1, 2_000).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LocalEnvError);
    const e = err as LocalEnvError;
    expect(e.message).toMatch(new RegExp(`^kube-scheduler-${member.name}: not ready after 2s; log: `));
    expect(e.describe()).toContain("scheduler: waiting for nothing");
    const pid = Number(readFileSync(join(dir, "pid"), "utf8"));
    expect(gone(pid)).toBe(true);
  });
});
