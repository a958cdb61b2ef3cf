/**
 * The loopback load balancer: plays the cloud controller manager's part for `type: LoadBalancer` Services of the
 * member clusters. Each such Service gets one address from its member's range on 127.0.0.0/8 in
 * `status.loadBalancer.ingress`; the address goes when the Service does or stops being of that type. Nothing
 * forwards traffic to it (the pods are kwok's, without a network): it is the address the federation reads back.
 * Services with a `spec.loadBalancerClass` are left alone, as a cloud's default controller leaves them, so a
 * test can still set an ingress by hand.
 *
 * It runs as a process of its own (loadbalancer-main.ts), one for every member, started by the environment.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { MemberInfo, Started } from "./components.ts";
import { inRange, memberRange, pickAddress } from "./lbaddress.ts";
import { startProcess } from "./process.ts";
import { httpGet, httpRequest, readyOrStop, type TlsFiles } from "./ready.ts";
import { REPO_ROOT } from "./versions.ts";

export interface LoadBalancedMember {
  name: string;
  server: string;
  tls: Required<TlsFiles>;
  /** First two octets of its /16 (lbaddress.memberRange). */
  range: string;
}

interface Service {
  metadata: { name: string; namespace: string; uid: string; resourceVersion?: string; deletionTimestamp?: string };
  spec?: { type?: string; loadBalancerClass?: string };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

const keyOf = (s: Service) => `${s.metadata.namespace}/${s.metadata.name}`;

/** One member's controller: a list, then a watch of every Service, each event settled by one status patch at most. */
export class MemberLoadBalancer {
  /** Address per Service uid. */
  private readonly assigned = new Map<string, string>();
  private stopped = false;
  /** Resolves once the first list has been settled. */
  readonly synced: Promise<void>;
  private markSynced!: () => void;

  constructor(
    private readonly member: LoadBalancedMember,
    private readonly log: (line: string) => void,
  ) {
    this.synced = new Promise((r) => (this.markSynced = r));
  }

  async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const list = await this.call("GET", "/api/v1/services");
        if (list.status !== 200) throw new Error(`listing Services answered ${list.status}`);
        const doc = JSON.parse(list.body) as { items: Service[]; metadata: { resourceVersion: string } };
        const uids = new Set(doc.items.map((s) => s.metadata.uid));
        for (const uid of [...this.assigned.keys()]) if (!uids.has(uid)) this.assigned.delete(uid);
        for (const s of doc.items) await this.settle(s);
        this.markSynced();
        await this.watch(doc.metadata.resourceVersion);
      } catch (e) {
        if (!this.stopped) this.log(`${this.member.name}: ${(e as Error).message}; listing again in 1s`);
        await sleep(1000);
      }
    }
  }

  stop(): void {
    this.stopped = true;
  }

  /** Watches from `resourceVersion` until the stream ends or the version expires (then the caller lists again). */
  private watch(resourceVersion: string): Promise<void> {
    let rv = resourceVersion;
    const once = () =>
      new Promise<"again" | "relist">((resolve, reject) => {
        let relist = false;
        const url = new URL(
          `${this.member.server}/api/v1/services?watch=1&allowWatchBookmarks=true&resourceVersion=${rv}`,
        );
        const req = request(url, { method: "GET", ...this.tlsOptions() }, (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            resolve("relist");
            return;
          }
          res.setEncoding("utf8");
          let buffer = "";
          let chain = Promise.resolve();
          res.on("data", (chunk: string) => {
            buffer += chunk;
            let nl: number;
            while ((nl = buffer.indexOf("\n")) >= 0) {
              const line = buffer.slice(0, nl);
              buffer = buffer.slice(nl + 1);
              if (line.trim() === "") continue;
              const event = JSON.parse(line) as { type: string; object: Service & { code?: number } };
              if (event.type === "ERROR") {
                relist = true;
                req.destroy();
                return;
              }
              rv = event.object.metadata.resourceVersion ?? rv;
              if (event.type === "BOOKMARK") continue;
              // In order, one at a time: a Service's later event must not be settled before an earlier one.
              chain = chain
                .then(() => (event.type === "DELETED" ? this.forget(event.object) : this.settle(event.object)))
                .catch((e: unknown) => this.log(`${this.member.name}: ${(e as Error).message}`));
            }
          });
          res.on("end", () => void chain.then(() => resolve(relist ? "relist" : "again")));
          res.on("close", () => void chain.then(() => resolve(relist ? "relist" : "again")));
          res.on("error", () => resolve(relist ? "relist" : "again"));
        });
        req.on("error", (e) => (relist ? resolve("relist") : reject(e)));
        req.end();
      });
    return (async () => {
      while (!this.stopped) if ((await once()) === "relist") return;
    })();
  }

  private forget(s: Service): Promise<void> {
    this.assigned.delete(s.metadata.uid);
    return Promise.resolve();
  }

  /** Makes the Service's ingress what it should be: its address when it is load-balanced here, else none of ours. */
  private async settle(s: Service): Promise<void> {
    const ingress = s.status?.loadBalancer?.ingress ?? [];
    const wanted =
      s.spec?.type === "LoadBalancer" &&
      s.spec.loadBalancerClass === undefined &&
      s.metadata.deletionTimestamp === undefined;
    if (!wanted) {
      this.assigned.delete(s.metadata.uid);
      // Only what this controller gave: an ingress set by hand (or by another controller) stays.
      if (ingress.some((i) => i.ip !== undefined && inRange(this.member.range, i.ip))) await this.patchIngress(s, null);
      return;
    }
    let ip = this.assigned.get(s.metadata.uid);
    if (ip === undefined) {
      const inUse = new Set(this.assigned.values());
      ip = pickAddress(this.member.range, keyOf(s), inUse, ingress[0]?.ip);
      if (ip === undefined) {
        this.log(`${this.member.name}: no address left in ${this.member.range}.0.0/16 for Service ${keyOf(s)}`);
        return;
      }
      this.assigned.set(s.metadata.uid, ip);
    }
    if (ingress.length === 1 && ingress[0]!.ip === ip) return;
    await this.patchIngress(s, [{ ip }]);
  }

  private async patchIngress(s: Service, ingress: { ip: string }[] | null): Promise<void> {
    const path = `/api/v1/namespaces/${s.metadata.namespace}/services/${s.metadata.name}/status`;
    const res = await this.call("PATCH", path, JSON.stringify({ status: { loadBalancer: { ingress } } }));
    // Gone meanwhile: its DELETED event follows.
    if (res.status === 404) return;
    if (res.status !== 200)
      throw new Error(`setting the ingress of Service ${keyOf(s)} answered ${res.status}: ${res.body.slice(0, 200)}`);
    this.log(
      `${this.member.name}: Service ${keyOf(s)} ${ingress ? `at ${ingress[0]!.ip}` : "no longer load-balanced"}`,
    );
  }

  private tlsOptions() {
    const t = this.member.tls;
    return { ca: readFileSync(t.ca), cert: readFileSync(t.cert), key: readFileSync(t.key) };
  }

  private call(method: string, path: string, body?: string) {
    return httpRequest(method, `${this.member.server}${path}`, {
      tls: this.member.tls,
      body,
      contentType: "application/merge-patch+json",
      timeoutMs: 10_000,
    });
  }
}

export interface LoadBalancerInfo {
  /** Range per member, e.g. {member1: "127.20.0.0/16"}. */
  ranges: Record<string, string>;
}

/**
 * Starts the load balancer for every member (`members[i]` gets memberRange(i)), as one node process: ready once
 * each member's Services were listed and given their addresses.
 */
export async function startLoadBalancer(
  runDir: string,
  members: MemberInfo[],
  port: number,
  timeoutMs: number,
): Promise<Started<LoadBalancerInfo>> {
  const dir = join(runDir, "loadbalancer");
  mkdirSync(dir, { recursive: true });
  const config: { port: number; members: LoadBalancedMember[] } = {
    port,
    members: members.map((m, i) => ({
      name: m.name,
      server: m.server,
      tls: { ca: m.caFile, cert: m.clientCert, key: m.clientKey },
      range: memberRange(i),
    })),
  };
  const file = join(dir, "config.json");
  writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
  const started = Date.now();
  const proc = startProcess({
    name: "loadbalancer",
    command: process.execPath,
    args: ["--import", "tsx", join(REPO_ROOT, "libs/localenv/src/loadbalancer-main.ts"), file],
    runDir,
    cwd: REPO_ROOT,
  });
  await readyOrStop(proc, async () => (await httpGet(`http://127.0.0.1:${port}/readyz`)).status === 200, timeoutMs);
  return {
    proc,
    info: { ranges: Object.fromEntries(config.members.map((m) => [m.name, `${m.range}.0.0/16`])) },
    startupMs: Date.now() - started,
  };
}
