import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ErrorCode,
  FederationError,
  fromKubernetesRefusal,
  type KubeObject,
  type ObjectObservedReport,
  type StatusReport,
} from "@kubefed/events";
import { createLogger } from "@kubefed/logging";
import type { MemberKind } from "@kubefed/placement";
import { KeyQueue } from "./keyqueue.ts";
import type { Member } from "./member.ts";
import { MemberCache } from "./membercache.ts";
import { OwnWrites } from "./ownwrites.ts";
import { Reconciler } from "./reconciler.ts";
import { RECONCILE_RETRIES, type RunResult } from "./retry.ts";

const logger = createLogger({ service: "propagator", level: "silent" });
const FED = "fed";
const KEY = "batch/Job/shop/once";

const job = (image: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name: "once", namespace: "shop", generation: 1, resourceVersion: "10", ...extra },
  spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "once", image }] } } },
});

const imageOf = (o: KubeObject | undefined) =>
  (o?.spec as { template: { spec: { containers: { image: string }[] } } } | undefined)?.template.spec.containers[0]
    ?.image;

/**
 * A member that keeps objects by namespace/name, refuses a change of a Job's template as kube-apiserver does,
 * and fails the way a test tells it to (`failNext`).
 */
class InMemoryMember implements Member {
  readonly cluster = "m1";
  readonly objects = new Map<string, KubeObject>();
  failNext: FederationError[] = [];
  private uids = 0;
  private rv = 100;

  private id = (o: KubeObject) =>
    `${(o.metadata as { namespace?: string }).namespace ?? ""}/${(o.metadata as { name: string }).name}`;
  private stamp(o: KubeObject, uid: string): KubeObject {
    return { ...o, metadata: { ...(o.metadata as object), uid, resourceVersion: String(++this.rv) } };
  }
  private failure(): void {
    const e = this.failNext.shift();
    if (e) throw e;
  }

  async get(_kind: MemberKind, namespace: string | null, name: string) {
    this.failure();
    return this.objects.get(`${namespace ?? ""}/${name}`);
  }
  async create(_kind: MemberKind, o: KubeObject) {
    this.failure();
    if (this.objects.has(this.id(o)))
      throw fromKubernetesRefusal(409, JSON.stringify({ reason: "AlreadyExists", message: "exists" }), "create", {
        retryable: true,
      });
    const created = this.stamp(o, `uid-${++this.uids}`);
    this.objects.set(this.id(o), created);
    return created;
  }
  async apply(_kind: MemberKind, o: KubeObject) {
    this.failure();
    const before = this.objects.get(this.id(o))!;
    if (imageOf(before) !== imageOf(o)) {
      const status = {
        kind: "Status",
        reason: "Invalid",
        message: 'Job.batch "once" is invalid: spec.template: Invalid value: {}: field is immutable',
        details: { causes: [{ field: "spec.template", message: "field is immutable" }] },
      };
      throw fromKubernetesRefusal(422, JSON.stringify(status), "apply Job shop/once in cluster m1", {
        retryable: true,
      });
    }
    const applied = this.stamp(o, (before.metadata as { uid: string }).uid);
    this.objects.set(this.id(o), applied);
    return applied;
  }
  async claimAppliedFields() {
    return true;
  }
  async delete(_kind: MemberKind, namespace: string | null, name: string) {
    this.failure();
    return this.objects.delete(`${namespace ?? ""}/${name}`);
  }
  async list(): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    throw new Error("not listed in these tests");
  }
  watch(): never {
    throw new Error("not watched in these tests");
  }
  async ready() {
    return { ok: true, message: "/readyz ok" };
  }
  async topology() {
    return { region: null, zones: [] };
  }
  close() {}
}

function setup(desired: KubeObject) {
  const member = new InMemoryMember();
  const reports: ObjectObservedReport[] = [];
  const objects = new Map([[KEY, desired]]);
  const projection = {
    get: (k: string) => objects.get(k),
    objectsOf: () => [] as [string, KubeObject][],
    clusterFacts: () => ({ version: "0", facts: [{ name: "m1", labels: {}, schedulable: true }] }),
  };
  const writes = new OwnWrites();
  const cache = new MemberCache({
    federation: FED,
    logger,
    serving: () => false,
    wanted: () => true,
    services: () => [],
    changed: () => undefined,
    reconcile: () => undefined,
    rebuild: () => undefined,
  });
  let queue: KeyQueue<RunResult> | undefined;
  const reconciler = new Reconciler({
    federation: FED,
    cluster: "m1",
    worker: "w",
    logger,
    projection,
    publish: (r: StatusReport) => void (r.type === "ObjectObserved" && reports.push(r)),
    cache,
    writes,
    member: () => member,
    problem: () => undefined,
    labels: () => ({}),
    offline: () => false,
    again: (k) => void queue?.run(k),
  });
  queue = new KeyQueue(4, (k) => reconciler.run(k), RECONCILE_RETRIES);
  return { member, reports, objects, reconciler, queue };
}

afterEach(() => vi.useRealTimers());

describe("a member's reconciles, against a member of our own interface", () => {
  it("replaces a Job whose template changed: the member refuses the apply as immutable, the Job is deleted and created again", async () => {
    const { member, reports, objects, queue } = setup(job("busybox:1.36"));
    expect(await queue.run(KEY)).toBeNull();
    const before = member.objects.get("shop/once")!;
    expect(imageOf(before)).toBe("busybox:1.36");
    objects.set(KEY, job("busybox:1.37", { generation: 2, resourceVersion: "11" }));
    expect(await queue.run(KEY)).toBeNull();
    const after = member.objects.get("shop/once")!;
    expect(imageOf(after)).toBe("busybox:1.37");
    expect((after.metadata as { uid: string }).uid).not.toBe((before.metadata as { uid: string }).uid);
    expect(reports.map((r) => [r.outcome, r.message, r.created, r.generation])).toEqual([
      ["Applied", "created in cluster m1", true, 1],
      ["Applied", "created in cluster m1", true, 2],
    ]);
  });

  it("reports a refusal as Failed and retries it with backoff until it is applied", async () => {
    vi.useFakeTimers();
    const { member, reports, queue } = setup(job("busybox:1.36"));
    member.failNext = [
      fromKubernetesRefusal(
        403,
        JSON.stringify({ reason: "Forbidden", message: "exceeded quota" }),
        "create Job shop/once in cluster m1",
        { retryable: true },
      ),
    ];
    const result = await queue.run(KEY);
    expect(result).toMatchObject({ code: ErrorCode.Forbidden, retryable: true });
    expect(reports.map((r) => [r.outcome, r.message])).toEqual([
      ["Failed", "apply failed: create Job shop/once in cluster m1: exceeded quota"],
    ]);
    expect(queue.retrying).toBe(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(imageOf(member.objects.get("shop/once"))).toBe("busybox:1.36");
    expect(reports.map((r) => r.outcome)).toEqual(["Failed", "Applied"]);
    expect(queue.retrying).toBe(0);
  });

  it("reports nothing and owes no retry when the member does not answer (the cursor goes back instead)", async () => {
    const { member, reports, queue } = setup(job("busybox:1.36"));
    member.failNext = [new FederationError(ErrorCode.Unreachable, "cannot reach cluster m1")];
    expect(await queue.run(KEY)).toMatchObject({ code: ErrorCode.Unreachable });
    expect(queue.retrying).toBe(0);
    // It answers again: the next run (the cursor's, after it resumes) applies it and is the first report.
    expect(await queue.run(KEY)).toBeNull();
    expect(reports.map((r) => r.outcome)).toEqual(["Applied"]);
  });
});
