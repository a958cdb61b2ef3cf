import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { isOurs } from "@kubefed/localenv";
import { env } from "./helpers.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const KUBEFED = join(ROOT, "cli/bin/kubefed");

/** Running (a zombie waiting for init to reap it is dead already). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** SIGKILL is delivered at once, but a many-threaded process takes a moment to be torn down. */
async function settled<T>(probe: () => T[], ms = 5000): Promise<T[]> {
  const deadline = Date.now() + ms;
  let left = probe();
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = probe();
  }
  return left;
}

/** Processes of the run, as the environment's reaper recognises them (`isOurs`). */
function processesOf(runDir: string): string[] {
  const ps = spawnSync("ps", ["-eo", "pid,args"], { encoding: "utf8" }).stdout;
  return ps.split("\n").filter((l) => /^\s*\d+/.test(l) && isOurs(Number(l.trim().split(" ")[0]), runDir));
}

describe("kubefed up lifecycle", () => {
  it("stops every component it started when interrupted with SIGINT", async () => {
    const kubeconfig = join(mkdtempSync(join(tmpdir(), "kubefed-up-")), "kubeconfig");
    const child = spawn(KUBEFED, ["up", "--members", "1", "--with-dns", "--with-opa", "--kubeconfig", kubeconfig], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    await new Promise<void>((ready, fail) => {
      const check = setInterval(() => {
        if (out.includes("Press Ctrl-C")) {
          clearInterval(check);
          ready();
        }
      }, 200);
      void exited.then(() => {
        clearInterval(check);
        fail(new Error(`kubefed up exited early:\n${out}`));
      });
    });
    const runDir = /logs: +(\S+)\/logs/.exec(out)?.[1];
    expect(runDir, out).toBeDefined();
    expect(existsSync(kubeconfig)).toBe(true);
    const started = readFileSync(join(runDir!, "pids"), "utf8")
      .trim()
      .split("\n")
      .map((l) => ({ pid: Number(l.split(" ")[0]), name: l.split(" ")[1] ?? "" }));
    const pids = started.map((p) => p.pid);
    // kafka, etcd, one kube-apiserver with its kube-controller-manager, kube-scheduler and kwok, the load
    // balancer, coredns with dns-sync, opa, the ingest, the propagator
    expect(started.map((p) => p.name.replace(/-member1$|-federation$/, "")).sort()).toEqual([
      "coredns",
      "dns-sync",
      "etcd",
      "ingest",
      "kafka",
      "kube-apiserver",
      "kube-controller-manager",
      "kube-scheduler",
      "kwok",
      "loadbalancer",
      "opa",
      "propagator",
    ]);
    expect(pids.every(alive)).toBe(true);
    expect(processesOf(runDir!).length).toBeGreaterThanOrEqual(11);
    expect(readFileSync(kubeconfig, "utf8")).toMatch(/current-context: federation/);

    // The walkthrough runs as printed, in a shell with nothing of ours on PATH (node only, a prerequisite): its first line sets PATH and
    // KUBECONFIG; the commands after "Use it:" create a Deployment and a LoadBalancer Service and wait for the rollout.
    const printed = out.slice(out.indexOf("export PATH="));
    const exportLine = printed.split("\n")[0]!;
    const commands = printed
      .slice(printed.indexOf("Use it:\n") + "Use it:\n".length)
      .split("\n\n")[0]!
      .split("\n")
      .map((l) => l.trim().replace(/\s+#.*$/, ""));
    expect(commands.some((c) => c.startsWith("kubefed history"))).toBe(true);
    const shell = spawnSync("bash", ["-ec", [exportLine, ...commands].join("\n")], {
      cwd: tmpdir(),
      encoding: "utf8",
      timeout: 180_000,
      env: { HOME: tmpdir(), PATH: `${dirname(process.execPath)}:/usr/bin:/bin` },
    });
    expect(shell.status, `${shell.stdout}\n${shell.stderr}`).toBe(0);
    expect(shell.stdout).toContain('deployment "web" successfully rolled out');
    expect(shell.stdout).toMatch(/member1\s+Ready/);
    expect(shell.stdout).toMatch(/web-\S+\s+1\/1\s+Running/);

    // The README's promise: create through the federation context, see it in the member.
    const kubectlBin = env().kubectl;
    const k = (...args: string[]) => spawnSync(kubectlBin, ["--kubeconfig", kubeconfig, ...args], { encoding: "utf8" });
    expect(k("--context=federation", "create", "configmap", "up-check", "--from-literal=a=b").status).toBe(0);
    const deadline = Date.now() + 30_000;
    let seen = k("--context=member1", "get", "configmap", "up-check", "-o", "jsonpath={.data.a}");
    while (seen.stdout !== "b" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      seen = k("--context=member1", "get", "configmap", "up-check", "-o", "jsonpath={.data.a}");
    }
    expect(seen.stdout).toBe("b");

    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(await settled(() => pids.filter(alive))).toEqual([]);
    expect(await settled(() => processesOf(runDir!))).toEqual([]);
  }, 300_000);

  it("refuses a port that is already in use with one clear line and a non-zero exit", async () => {
    const blocker = createServer();
    const port = await new Promise<number>((r) =>
      blocker.listen(0, "127.0.0.1", () => r((blocker.address() as { port: number }).port)),
    );
    try {
      const res = spawnSync(KUBEFED, ["up", "--base-port", String(port)], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 120_000,
      });
      expect(res.status).toBe(1);
      // Progress lines may come first; the error is the one last line.
      expect(res.stderr.trim().split("\n").at(-1)).toBe(
        `kubefed: kafka: port ${port} on 127.0.0.1 is already in use (stop what listens there, see \`ss -ltnp\`, or choose other ports)`,
      );
    } finally {
      blocker.close();
    }
  });
});
