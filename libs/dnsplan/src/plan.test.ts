import { describe, expect, it } from "vitest";
import { planService, type ClusterSite, type PlannedService, type ServiceTarget } from "./plan.ts";

const SETTINGS = { federation: "fed", zone: "example.com.", ttl: 30 };
const G = "web.ns.fed.svc.example.com.";
const EU = "web.ns.fed.svc.eu.example.com.";
const US = "web.ns.fed.svc.us.example.com.";
const EU_A = "web.ns.fed.svc.eu-a.eu.example.com.";
const EU_B = "web.ns.fed.svc.eu-b.eu.example.com.";
const US_A = "web.ns.fed.svc.us-a.us.example.com.";

const site = (name: string, region: string | null, zone: string | null, ready = true): ClusterSite => ({
  name,
  ready,
  region,
  zone,
});
const SITES = new Map([
  ["member1", site("member1", "eu", "eu-a")],
  ["member2", site("member2", "us", "us-a")],
  ["member3", site("member3", "eu", "eu-b")],
]);
const target = (cluster: string, addresses: string[], readyEndpoints: number | null = 1, hostnames: string[] = []) =>
  ({ cluster, addresses, hostnames, readyEndpoints }) satisfies ServiceTarget;
const svc = (...targets: ServiceTarget[]): PlannedService => ({ namespace: "ns", name: "web", targets });

/** The plan as "name TYPE value,value" lines, easy to read in a failing test. */
const lines = (s: PlannedService, sites: ReadonlyMap<string, ClusterSite> = SITES) =>
  planService(s, sites, SETTINGS).map((r) => `${r.name} ${r.type} ${r.values.join(",")}`);

const ALL = svc(target("member1", ["10.0.0.1"]), target("member2", ["10.0.0.2"]), target("member3", ["10.0.0.3"]));

describe("planService", () => {
  it("gives every level the addresses of its healthy clusters", () => {
    expect(lines(ALL)).toEqual([
      `${EU_A} A 10.0.0.1`,
      `${EU_B} A 10.0.0.3`,
      `${EU} A 10.0.0.1,10.0.0.3`,
      `${G} A 10.0.0.1,10.0.0.2,10.0.0.3`,
      `${US_A} A 10.0.0.2`,
      `${US} A 10.0.0.2`,
    ]);
    expect(planService(ALL, SITES, SETTINGS).every((r) => r.ttl === 30)).toBe(true);
  });

  it("turns a zone without ready endpoints into a CNAME to its region", () => {
    const plan = lines(
      svc(target("member1", ["10.0.0.1"], 0), target("member2", ["10.0.0.2"]), target("member3", ["10.0.0.3"])),
    );
    expect(plan).toContain(`${EU_A} CNAME ${EU}`);
    expect(plan).toContain(`${EU} A 10.0.0.3`);
    expect(plan).toContain(`${G} A 10.0.0.2,10.0.0.3`);
  });

  it("treats a cluster without a load-balancer address, or without a count, as unhealthy", () => {
    const plan = lines(
      svc(target("member1", []), target("member2", ["10.0.0.2"]), target("member3", ["10.0.0.3"], null)),
    );
    expect(plan).toContain(`${EU_A} CNAME ${EU}`);
    expect(plan).toContain(`${EU_B} CNAME ${EU}`);
    expect(plan).toContain(`${EU} CNAME ${G}`);
    expect(plan).toContain(`${G} A 10.0.0.2`);
  });

  it("turns a region with no healthy cluster into a CNAME to the global name", () => {
    const sites = new Map(SITES);
    sites.set("member1", site("member1", "eu", "eu-a", false));
    sites.set("member3", site("member3", "eu", "eu-b", false));
    expect(lines(ALL, sites)).toEqual([
      `${EU_A} CNAME ${EU}`,
      `${EU_B} CNAME ${EU}`,
      `${EU} CNAME ${G}`,
      `${G} A 10.0.0.2`,
      `${US_A} A 10.0.0.2`,
      `${US} A 10.0.0.2`,
    ]);
  });

  it("has no global record when nothing is healthy, and the other levels fall back to it", () => {
    const plan = lines(svc(target("member1", ["10.0.0.1"], 0), target("member2", ["10.0.0.2"], 0)));
    expect(plan).toEqual([`${EU_A} CNAME ${EU}`, `${EU} CNAME ${G}`, `${US_A} CNAME ${US}`, `${US} CNAME ${G}`]);
  });

  it("ignores targets of clusters that are not in the federation", () => {
    expect(lines(svc(target("gone", ["10.0.0.9"])))).toEqual([]);
  });

  it("serves IPv6 addresses as AAAA beside the A records", () => {
    const plan = lines(svc(target("member2", ["10.0.0.2", "fd00::2"])));
    expect(plan).toContain(`${G} A 10.0.0.2`);
    expect(plan).toContain(`${G} AAAA fd00::2`);
  });

  it("serves a hostname-only load balancer as a CNAME where it is the only target, and leaves it out beside addresses", () => {
    const plan = lines(svc(target("member1", [], 1, ["lb-1.cloud.example."]), target("member2", ["10.0.0.2"])));
    expect(plan).toContain(`${EU_A} CNAME lb-1.cloud.example.`);
    expect(plan).toContain(`${EU} CNAME lb-1.cloud.example.`);
    expect(plan).toContain(`${G} A 10.0.0.2`);
  });

  it("picks the first hostname in order when a level has several and no address", () => {
    const plan = lines(svc(target("member1", [], 1, ["lb-b.cloud."]), target("member3", [], 1, ["lb-a.cloud."])));
    expect(plan).toContain(`${EU} CNAME lb-a.cloud.`);
    expect(plan).toContain(`${G} CNAME lb-a.cloud.`);
    expect(plan).toContain(`${EU_A} CNAME lb-b.cloud.`);
  });

  it("gives a cluster without a zone only the region name, and one without a region only the global name", () => {
    const sites = new Map([
      ["a", site("a", "eu", null)],
      ["b", site("b", null, null)],
    ]);
    expect(lines(svc(target("a", ["10.0.0.1"]), target("b", ["10.0.0.2"])), sites)).toEqual([
      `${EU} A 10.0.0.1`,
      `${G} A 10.0.0.1,10.0.0.2`,
    ]);
  });

  it("uses the configured TTL and leaves out names that cannot be formed", () => {
    const plan = planService(ALL, SITES, { ...SETTINGS, ttl: 5 });
    expect(new Set(plan.map((r) => r.ttl))).toEqual(new Set([5]));
    expect(planService({ ...ALL, name: "Not_A_Label" }, SITES, SETTINGS)).toEqual([]);
  });
});
