// DNS for federated Services, end to end: real Kafka, member kube-apiservers with kwok, the propagator, dns-sync
// and each provider's real DNS server (DNS_SERVERS), queried over UDP. One federation per provider; its scenarios
// run in order on the same Services.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Resolver } from "node:dns/promises";
import { freePort, startExtraCoredns, type DnsSync, type Federation, type Propagator } from "@kubefed/localenv";
import { env, memberApiserver, uniqueName } from "./helpers.ts";
import { DNS_SERVERS, lookup, lookupWith, namesOf } from "./dns-helpers.ts";
import { eventually, federationWithMembers, fedctl, kubefed, memberctl, propagator } from "./propagation-helpers.ts";

const MEMBERS = [
  { name: "member1", region: "eu", zone: "eu-a" },
  { name: "member2", region: "us", zone: "us-a" },
  { name: "member3", region: "eu", zone: "eu-b" },
];

/** Marks the pods of `app` in a member Ready or not, as a readiness probe would (kwok leaves it so). */
async function setPodsReady(member: string, ns: string, app: string, ready: boolean): Promise<void> {
  const { stdout } = await memberctl(member, [
    "-n",
    ns,
    "get",
    "pods",
    "-l",
    `app=${app}`,
    "-o",
    "jsonpath={.items[*].metadata.name}",
  ]);
  for (const pod of stdout.split(/\s+/).filter(Boolean))
    await memberctl(member, [
      "-n",
      ns,
      "patch",
      "pod",
      pod,
      "--subresource=status",
      "--type=strategic",
      "-p",
      JSON.stringify({ status: { conditions: [{ type: "Ready", status: ready ? "True" : "False" }] } }),
    ]);
}

/** Sets (or clears) a member's load-balancer ingress of a Service whose loadBalancerClass keeps the environment's load balancer away. */
async function setIngress(member: string, ns: string, svc: string, ingress: { ip?: string; hostname?: string }[]) {
  await memberctl(member, [
    "-n",
    ns,
    "patch",
    "service",
    svc,
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify({ status: { loadBalancer: { ingress } } }),
  ]);
}

async function lbAddress(member: string, ns: string, svc: string): Promise<string> {
  const o = JSON.parse((await memberctl(member, ["-n", ns, "get", "service", svc, "-o", "json"])).stdout);
  expect(o.status.loadBalancer?.ingress?.[0]?.ip).toBeTruthy();
  return o.status.loadBalancer.ingress[0].ip as string;
}

for (const server of DNS_SERVERS) {
  describe(`DNS for federated Services (${server.provider})`, () => {
    let fed: Federation;
    let worker: Propagator;
    let sync: DnsSync;
    const ns = uniqueName("dns");
    const ip: Record<string, string> = {};
    let web: ReturnType<typeof namesOf>;
    const answer = (name: string) => lookup(server, name);
    /** Waits until the server answers `name` with these A records (following CNAMEs) and this CNAME (null: none). */
    const expectAnswer = (name: string, a: string[], cname: string | null = null) =>
      eventually(async () => expect(await answer(name)).toEqual({ cname, a: [...a].sort() }), 60_000, 100);

    beforeAll(async () => {
      // The ingest shows each LoadBalancer Service's DNS names in this zone (status.dns).
      fed = await federationWithMembers(uniqueName("fd"), MEMBERS, { INGEST_DNS_ZONE_NAME: server.zone });
      worker = await propagator(fed);
      web = namesOf("web", ns, fed.name, server.zone);
      // Records of others in the same zone, there before dns-sync starts: a human's, and a second federation's.
      await server.writeForeign(`www-${ns}.${server.zone}`, "192.0.2.1");
      const other = namesOf("web", ns, "otherfed", server.zone).global;
      await server.writeOwned("otherfed", { name: other, type: "A", ttl: 30, values: ["192.0.2.2"] });
      sync = await server.startSync(fed);
      await fedctl(fed, ["create", "namespace", ns]);
      await fedctl(
        fed,
        ["apply", "-f", "-"],
        `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${ns}}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: manual, namespace: ${ns}}
spec:
  type: LoadBalancer
  loadBalancerClass: example.com/by-hand
  selector: {app: web}
  ports: [{port: 80}]
`,
      );
      for (const m of MEMBERS) ip[m.name] = await eventually(() => lbAddress(m.name, ns, "web"), 90_000);
    }, 300_000);

    afterAll(async () => {
      await sync?.stop();
      await worker?.stop();
      await fed?.stop();
    });

    it("answers the zone, region and global names with the healthy members' load-balancer addresses", async () => {
      await expectAnswer(web.euA, [ip.member1!]);
      await expectAnswer(web.euB, [ip.member3!]);
      await expectAnswer(web.usA, [ip.member2!]);
      await expectAnswer(web.eu, [ip.member1!, ip.member3!]);
      await expectAnswer(web.us, [ip.member2!]);
      await expectAnswer(web.global, [ip.member1!, ip.member2!, ip.member3!]);
      expect((await sync.sync()).active).toBe(true);
      // The Service itself says which names it has and what they answer.
      const { stdout } = await fedctl(fed, ["-n", ns, "get", "service", "web", "-o", "jsonpath={.status.dns}"]);
      const dns = JSON.parse(stdout) as { name: string; type: string; values: string[] }[];
      expect(dns.find((r) => r.name === web.global && r.type === "A")?.values).toEqual(
        [ip.member1!, ip.member2!, ip.member3!].sort(),
      );
      expect(dns.find((r) => r.name === web.euA && r.type === "A")?.values).toEqual([ip.member1!]);
      expect(dns.map((r) => r.name)).toEqual(expect.arrayContaining([web.eu, web.us, web.euB, web.usA]));
    }, 120_000);

    it("resolves the short name from a member-side resolver configured by `kubefed dns resolver-config`", async () => {
      const port = await freePort();
      const { host, port: serverPort } = server.server();
      const { stdout: stanza } = await kubefed([
        "dns",
        "resolver-config",
        "member1",
        `--kubeconfig=${fed.kubeconfig}`,
        `--federation-name=${fed.name}`,
        `--dns-zone-name=${server.zone}`,
        `--dns-server=${host}:${serverPort}`,
        `--listen=:${port}`,
      ]);
      expect(stanza).toContain(`${fed.name}.:${port} {`);
      // member1's cluster DNS, as its Corefile would have the block (the cache is left out: answers change here).
      const resolver = await startExtraCoredns(
        env(),
        `member1-resolver-${fed.name}`,
        (_p, health) => stanza.replace(/^\s*cache 30\n/m, "").replace(/}\s*$/, `    ${health}\n}\n`),
        port,
      );
      try {
        const r = new Resolver({ timeout: 1000, tries: 2 });
        r.setServers([`127.0.0.1:${port}`]);
        const short = `web.${ns}.${fed.name}.`;
        await eventually(async () => expect((await lookupWith(r, short)).a).toEqual([ip.member1!]), 30_000);
        // member1's zone has no ready endpoint: the short name falls back to its region.
        await setPodsReady("member1", ns, "web", false);
        await eventually(async () => expect((await lookupWith(r, short)).a).toEqual([ip.member3!]), 60_000, 100);
        await setPodsReady("member1", ns, "web", true);
        await eventually(async () => expect((await lookupWith(r, short)).a).toEqual([ip.member1!]), 60_000, 100);
      } finally {
        await resolver.stop();
      }
    }, 120_000);

    it("turns a zone without ready endpoints into a CNAME to its region, and a region without any into a CNAME to the global name", async () => {
      await setPodsReady("member1", ns, "web", false);
      await expectAnswer(web.euA, [ip.member3!], web.eu);
      await expectAnswer(web.eu, [ip.member3!]);
      await expectAnswer(web.global, [ip.member2!, ip.member3!]);

      await setPodsReady("member3", ns, "web", false);
      await expectAnswer(web.eu, [ip.member2!], web.global);
      await expectAnswer(web.euB, [ip.member2!], web.eu);
      await expectAnswer(web.global, [ip.member2!]);

      await setPodsReady("member1", ns, "web", true);
      await setPodsReady("member3", ns, "web", true);
      await expectAnswer(web.euA, [ip.member1!]);
      await expectAnswer(web.eu, [ip.member1!, ip.member3!]);
      await expectAnswer(web.global, [ip.member1!, ip.member2!, ip.member3!]);
    }, 180_000);

    it("drops a member whose load balancer is removed, and serves a hostname-only load balancer as a CNAME", async () => {
      const manual = namesOf("manual", ns, fed.name, server.zone);
      await setIngress("member1", ns, "manual", [{ ip: "127.9.0.1" }]);
      await setIngress("member2", ns, "manual", [{ ip: "127.9.0.2" }]);
      await setIngress("member3", ns, "manual", [{ ip: "127.9.0.3" }]);
      await expectAnswer(manual.global, ["127.9.0.1", "127.9.0.2", "127.9.0.3"]);
      await expectAnswer(manual.usA, ["127.9.0.2"]);

      await setIngress("member2", ns, "manual", []);
      await expectAnswer(manual.usA, ["127.9.0.1", "127.9.0.3"], manual.us);
      await expectAnswer(manual.us, ["127.9.0.1", "127.9.0.3"], manual.global);
      await expectAnswer(manual.global, ["127.9.0.1", "127.9.0.3"]);

      // Known by hostname only (an in-zone name here, so the server can follow it): a CNAME where it is the only target.
      await setIngress("member2", ns, "manual", [{ hostname: web.usA.slice(0, -1) }]);
      await expectAnswer(manual.usA, [ip.member2!], web.usA);
      await expectAnswer(manual.global, ["127.9.0.1", "127.9.0.3"]);
    }, 180_000);

    it("drops the addresses of a member whose kube-apiserver stops, and restores them when it is back", async () => {
      await memberApiserver("member2", "stop");
      try {
        await expectAnswer(web.global, [ip.member1!, ip.member3!]);
        await expectAnswer(web.us, [ip.member1!, ip.member3!], web.global);
        await expectAnswer(web.usA, [ip.member1!, ip.member3!], web.us);
      } finally {
        await memberApiserver("member2", "start");
      }
      await expectAnswer(web.usA, [ip.member2!]);
      await expectAnswer(web.global, [ip.member1!, ip.member2!, ip.member3!]);
    }, 180_000);

    it("leaves a name where another owner has records alone, and reports it", async () => {
      const taken = namesOf("taken", ns, fed.name, server.zone);
      await server.writeForeign(taken.global, "192.0.2.3");
      await fedctl(
        fed,
        ["apply", "-f", "-"],
        `{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "taken", "namespace": "${ns}"},
          "spec": {"type": "LoadBalancer", "selector": {"app": "web"}, "ports": [{"port": 80}]}}`,
      );
      // Every member's zone name answers, so the zone is settled before the next scenario records it.
      await expectAnswer(taken.euA, [await eventually(() => lbAddress("member1", ns, "taken"), 60_000)]);
      await expectAnswer(taken.euB, [await eventually(() => lbAddress("member3", ns, "taken"), 60_000)]);
      await expectAnswer(taken.usA, [await eventually(() => lbAddress("member2", ns, "taken"), 60_000)]);
      await eventually(async () => expect((await sync.sync()).conflicts).toEqual([`${taken.global} A`]), 30_000);
      expect(await answer(taken.global)).toEqual({ cname: null, a: ["192.0.2.3"] });
    }, 120_000);

    it("ends exactly at the desired set after a kill -9 and a zone left half-written", async () => {
      // Every member healthy again after the earlier scenarios, then converged: the zone is settled.
      await expectAnswer(web.usA, [ip.member2!]);
      await expectAnswer(web.global, [ip.member1!, ip.member2!, ip.member3!]);
      await eventually(async () => expect((await sync.sync()).converged).toBe(true));
      const before = sortSets(await server.owned(fed.name));
      expect(before.length).toBeGreaterThan(6);
      await sync.kill();
      // What a write cut short leaves: a set with a value too many, a record of a Service that is gone.
      const global = before.find((s) => s.name === web.global && s.type === "A")!;
      await server.writeOwned(fed.name, { ...global, values: ["192.0.2.99"] });
      const gone = namesOf("gone", ns, fed.name, server.zone).global;
      await server.writeOwned(fed.name, { name: gone, type: "A", ttl: 30, values: ["192.0.2.4"] });
      expect((await server.owned(fed.name)).length).toBe(before.length + 1);
      await sync.restart();
      // The same names as before the kill, the planted record gone; a level's type may still follow a member's
      // late report, so the answers below check the values.
      const names = (sets: { name: string; type: string }[]) => sets.map((x) => x.name).sort();
      await eventually(async () => expect(names(await server.owned(fed.name))).toEqual(names(before)), 30_000);
      await expectAnswer(web.global, [ip.member1!, ip.member2!, ip.member3!]);
      expect(await answer(gone)).toEqual({ cname: null, a: [] });
    }, 120_000);

    it("hands the zone to a standby replica when the active one dies", async () => {
      const second = await server.startSync(fed, { name: "dns-sync-second" });
      const replicas = [sync, second];
      try {
        // The group gives the zone to one of them.
        const states = await eventually(async () => {
          const s = await Promise.all(replicas.map((r) => r.sync()));
          expect(s.map((x) => x.active).sort()).toEqual([false, true]);
          return s;
        }, 30_000);
        const active = replicas[states.findIndex((x) => x.active)]!;
        const standby = replicas.find((r) => r !== active)!;
        await active.kill();
        await eventually(async () => expect((await standby.sync()).active).toBe(true), 30_000);
        await setPodsReady("member2", ns, "web", false);
        await expectAnswer(web.usA, [ip.member1!, ip.member3!], web.us);
        await setPodsReady("member2", ns, "web", true);
        await expectAnswer(web.usA, [ip.member2!]);
      } finally {
        await second.stop();
        await sync.restart();
      }
    }, 120_000);

    it("never touched the records of a human or of another federation", async () => {
      expect(await answer(`www-${ns}.${server.zone}`)).toEqual({ cname: null, a: ["192.0.2.1"] });
      expect(await answer(namesOf("web", ns, "otherfed", server.zone).global)).toEqual({
        cname: null,
        a: ["192.0.2.2"],
      });
      expect((await server.owned("otherfed")).filter((s) => s.name.includes(ns)).map((s) => s.values)).toEqual([
        ["192.0.2.2"],
      ]);
    });
  });
}

const sortSets = <T extends { name: string; type: string }>(sets: T[]): T[] =>
  [...sets].sort((a, b) => (a.name + a.type < b.name + b.type ? -1 : 1));
