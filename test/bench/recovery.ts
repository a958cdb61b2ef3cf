/**
 * Benchmark (run on demand: `npm run bench:recovery`): how fast the federation repairs what goes wrong, on one
 * member cluster served by two propagator workers.
 *
 *   drift     an owned ConfigMap deleted, or edited, by hand in the member: from the member's watch showing the
 *             drift to it showing the federation's copy again, versus the floor of any repair, one create sent
 *             straight to the member until the same watch shows it.
 *   failover  the worker holding the member's cursor is killed (SIGKILL): until the standby says it is active
 *             for the member, and until a write made right after the kill is in the member; versus the same
 *             after a graceful stop, where the worker leaves its groups and no session timeout is waited out.
 *
 * Prints medians, p99 and ratios. Not a test: the machine is shared, so read medians and ratios.
 */
import { execFileSync } from "node:child_process";
import { Agent, request } from "node:https";
import { resolve } from "node:path";
import { startEnvironment, startFederation, startPropagator, type Propagator } from "@kubefed/localenv";
import { call, federationTarget, memberTarget, pct, send, type Target } from "./client.ts";

const DRIFT_N = Number(process.env.BENCH_DRIFT_N ?? 30);
const FAILOVER_N = Number(process.env.BENCH_FAILOVER_N ?? 3);
const WARMUP = 3;
const NS = "recovery";
const MEMBER = "rec1";
const ROOT = resolve(import.meta.dirname, "../..");

interface Seen {
  readonly type: string;
  readonly name: string;
  readonly uid: string;
  readonly v: string | undefined;
  readonly at: number;
}

/** Every watch event on the ConfigMaps of one namespace of a member, in order, with the time it arrived. */
class EventLog {
  readonly events: Seen[] = [];
  private listeners: (() => void)[] = [];
  private readonly agent: Agent;
  constructor(private readonly t: Target) {
    this.agent = new Agent({ ...t.agent.options });
    this.watch();
  }
  private watch(): void {
    const again = () => setTimeout(() => this.watch(), 100).unref();
    const req = request(
      `${this.t.base}/api/v1/namespaces/${NS}/configmaps?watch=1&timeoutSeconds=3600`,
      { agent: this.agent, headers: this.t.headers },
      (r) => {
        let buf = "";
        r.setEncoding("utf8");
        r.on("data", (c: string) => {
          buf += c;
          for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
            const e = JSON.parse(buf.slice(0, nl)) as {
              type: string;
              object: { metadata: { name: string; uid: string }; data?: { v?: string } };
            };
            buf = buf.slice(nl + 1);
            this.events.push({
              type: e.type,
              name: e.object.metadata.name,
              uid: e.object.metadata.uid,
              v: e.object.data?.v,
              at: performance.now(),
            });
          }
          for (const l of this.listeners) l();
        });
        r.on("end", again);
        r.on("error", () => undefined);
      },
    );
    req.on("error", again);
    req.end();
  }
  /** The events matching `steps` in order, from index `from` on; waits for them to arrive. */
  find(from: number, ...steps: ((e: Seen) => boolean)[]): Promise<Seen[]> {
    const scan = (): Seen[] | undefined => {
      const found: Seen[] = [];
      for (let i = from; i < this.events.length && found.length < steps.length; i++)
        if (steps[found.length]!(this.events[i]!)) found.push(this.events[i]!);
      return found.length === steps.length ? found : undefined;
    };
    return new Promise((res) => {
      const check = () => {
        const found = scan();
        if (!found) return;
        this.listeners = this.listeners.filter((l) => l !== check);
        res(found);
      };
      this.listeners.push(check);
      check();
    });
  }
}

const cm = (name: string, v: string) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: NS },
  data: { v },
});
const is =
  (type: string, name: string, more: (e: Seen) => boolean = () => true) =>
  (e: Seen) =>
    e.type === type && e.name === name && more(e);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const line = (label: string, xs: number[], base?: number[]) =>
  `  ${label.padEnd(38)} p50 ${pct(xs, 50).toFixed(0).padStart(5)} ms  p99 ${pct(xs, 99).toFixed(0).padStart(5)} ms${base ? `   ratio p50 ${(pct(xs, 50) / pct(base, 50)).toFixed(2)}  p99 ${(pct(xs, 99) / pct(base, 99)).toFixed(2)}` : ""}`;

const env = await startEnvironment({ members: [MEMBER], coredns: false, opa: false });
try {
  const fed = await startFederation(env.info, "recovery");
  execFileSync(
    resolve(ROOT, "cli/bin/kubefed"),
    [
      "join",
      MEMBER,
      "--host-cluster-context=federation",
      `--cluster-context=${MEMBER}`,
      `--kubeconfig=${fed.kubeconfig}`,
      "--federation-name=recovery",
    ],
    { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] },
  );
  const workers: Propagator[] = [];
  for (const name of ["worker-a", "worker-b"])
    workers.push(
      await startPropagator(env.info, fed, { name, env: { LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "warn" } }),
    );
  const federation = federationTarget(fed);
  const member = memberTarget(env.info.members[0]!);
  await call(federation, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
  for (
    let i = 0;
    (await send(member, "GET", `/api/v1/namespaces/${NS}`, undefined, "").catch(() => 404)) !== 200;
    i++
  ) {
    if (i > 600) throw new Error(`namespace ${NS} did not reach ${MEMBER} within a minute`);
    await sleep(100);
  }
  const log = new EventLog(member);
  const ready = log.find(0, is("ADDED", "watch-ready"));
  await call(member, "POST", `/api/v1/namespaces/${NS}/configmaps`, cm("watch-ready", "direct"));
  await ready;

  // --- drift ---------------------------------------------------------------------------------------------
  const direct: number[] = [];
  const deleted: number[] = [];
  const edited: number[] = [];
  for (let i = 0; i < DRIFT_N + WARMUP; i++) {
    let mark = log.events.length;
    const t0 = performance.now();
    await call(member, "POST", `/api/v1/namespaces/${NS}/configmaps`, cm(`direct-${i}`, "direct"));
    const [created] = await log.find(mark, is("ADDED", `direct-${i}`));

    const name = `drift-${i}`;
    mark = log.events.length;
    await call(federation, "POST", `/api/v1/namespaces/${NS}/configmaps`, cm(name, "federation"));
    const [first] = await log.find(mark, is("ADDED", name));
    // Let the federation finish with its own write (status report, echo) so the drift meets an idle worker.
    await sleep(200);

    mark = log.events.length;
    await call(member, "DELETE", `/api/v1/namespaces/${NS}/configmaps/${name}`);
    const [gone, back] = await log.find(
      mark,
      is("DELETED", name),
      is("ADDED", name, (e) => e.uid !== first!.uid),
    );
    await sleep(200);

    mark = log.events.length;
    await call(
      member,
      "PATCH",
      `/api/v1/namespaces/${NS}/configmaps/${name}`,
      { data: { v: "by-hand" } },
      "application/merge-patch+json",
    );
    const [changed, restored] = await log.find(
      mark,
      is("MODIFIED", name, (e) => e.v === "by-hand"),
      is("MODIFIED", name, (e) => e.v === "federation"),
    );
    if (i >= WARMUP) {
      direct.push(created!.at - t0);
      deleted.push(back!.at - gone!.at);
      edited.push(restored!.at - changed!.at);
    }
  }
  process.stdout.write(
    [
      `drift repair (${DRIFT_N} rounds; from the member's watch showing the drift to it showing the federation's copy)`,
      line("direct create, request to watch:", direct),
      line("deleted by hand, recreated:", deleted, direct),
      line("edited by hand, restored:", edited, direct),
      "",
    ].join("\n"),
  );

  // --- failover ------------------------------------------------------------------------------------------
  /** The worker active for the member once the group has settled (the same one, alone, for 3 s). */
  const settledActive = async (): Promise<Propagator> => {
    let last: Propagator | undefined;
    let since = performance.now();
    for (const deadline = performance.now() + 120_000; performance.now() < deadline; await sleep(100)) {
      const active: Propagator[] = [];
      let answered = 0;
      for (const w of workers) {
        const clusters = await w.clusters().catch(() => undefined);
        if (clusters) answered++;
        if (clusters?.some((c) => c.name === MEMBER && c.active)) active.push(w);
      }
      const now = active.length === 1 && answered === workers.length ? active[0] : undefined;
      if (now !== last) [last, since] = [now, performance.now()];
      else if (now && performance.now() - since >= 3000) return now;
    }
    throw new Error(`no single worker settled as active for ${MEMBER} within 2 minutes`);
  };
  const takeover: Record<"stop" | "kill", number[]> = { stop: [], kill: [] };
  const converged: Record<"stop" | "kill", number[]> = { stop: [], kill: [] };
  for (let r = 0; r < FAILOVER_N; r++) {
    for (const how of ["stop", "kill"] as const) {
      const active = await settledActive();
      const standby = workers.find((w) => w !== active)!;
      const name = `failover-${how}-${r}`;
      const mark = log.events.length;
      const t0 = performance.now();
      await (how === "kill" ? active.kill() : active.stop());
      await call(federation, "POST", `/api/v1/namespaces/${NS}/configmaps`, cm(name, "federation"));
      const seen = log.find(mark, is("ADDED", name));
      while (!(await standby.clusters()).some((c) => c.name === MEMBER && c.active)) await sleep(20);
      takeover[how].push(performance.now() - t0);
      converged[how].push((await seen)[0]!.at - t0);
      await active.restart();
    }
  }
  process.stdout.write(
    [
      `failover (${FAILOVER_N} rounds each; the worker holding ${MEMBER}'s cursor goes, the standby takes over; session timeout 6 s)`,
      line("graceful stop, standby active:", takeover.stop),
      line("graceful stop, next write in member:", converged.stop),
      line("kill -9, standby active:", takeover.kill, takeover.stop),
      line("kill -9, next write in member:", converged.kill, converged.stop),
      "",
    ].join("\n"),
  );
  for (const w of workers) await w.stop();
  await fed.stop();
  process.exit(0);
} finally {
  await env.stop();
}
