/**
 * The SchedulingPolicy admission step: policy placement by Open Policy Agent, as the original federation had it.
 * On create and update of a scheduled kind it asks OPA with the object and the federation's clusters, and merges
 * the annotations the policy answers (cluster selector, replica preferences, ...) into the object before the event
 * is appended, so the event records the decision.
 *
 * The policy is the Rego in ConfigMap `scheduling-policy` of namespace `kube-federation-scheduling-policy` (every
 * key one module), folded from the objects log like any object. Every ingest replica pushes the version it folded,
 * and it is safe for them all to share one OPA: each version goes in under its own package, its `package` line
 * rewritten to `kubefed.scheduling.<federation>.r<resourceVersion>`, and a replica queries exactly the version it
 * has folded. Replicas at the same version push identical modules under identical ids; a replica behind or ahead
 * reads its own version, never another's, so no push can change what another replica decides. A replica removes
 * the versions it pushed before once it has pushed a newer one; another replica still on such a version finds it
 * gone (no document), pushes it again and asks once more.
 *
 * Input: {"resource": <the object>, "clusters": {"<name>": {"metadata": {name, labels, annotations}}}}. The
 * document read: `annotations` (string → string, merged in, the policy's value winning) and `errors` (a list or
 * set of strings; any → 403). No ConfigMap = no policy: objects pass unchanged and OPA is not asked.
 */
import { metaOf, toFederationError, type JsonObject, type KubeObject } from "@kubefed/events";
import type { Logger } from "@kubefed/logging";
import { SCHEDULING_POLICY_CONFIGMAP, SCHEDULING_POLICY_NAMESPACE } from "@kubefed/names";
import { stableHash } from "@kubefed/placement";
import { getObject, objectsOfKind, type FederationState } from "@kubefed/state";
import { parse as parseYaml } from "yaml";
import { admit, type Obj } from "./admit.ts";
import { OpaClient } from "./opa.ts";
import { FEDERATION_GROUP, type ResourceType } from "./resources.ts";
import { ApiError, Reason } from "./status.ts";

export interface SchedulingPolicyConfig {
  readonly url: string;
  readonly timeoutMs: number;
  /** On an OPA failure, admit the object unchanged (logged) instead of refusing the write. */
  readonly failOpen: boolean;
}

/** The kinds the step schedules: workloads and what routes to them (not ConfigMaps, Secrets or Namespaces). */
const SCHEDULED = new Set([
  "apps/Deployment",
  "apps/ReplicaSet",
  "apps/DaemonSet",
  "batch/Job",
  "autoscaling/HorizontalPodAutoscaler",
  "/Service",
  "networking.k8s.io/Ingress",
]);

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Reads the admission config file (JSON or YAML): {url, timeout ("2s"), failOpen}. Throws a sentence. */
export function parseSchedulingPolicyConfig(text: string): SchedulingPolicyConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new Error(`not JSON or YAML: ${toFederationError(e).message}`);
  }
  if (!isObj(doc)) throw new Error('must be an object {"url": "http://opa:8181", "timeout": "2s", "failOpen": false}');
  const unknown = Object.keys(doc).filter((k) => !["url", "timeout", "failOpen"].includes(k));
  if (unknown.length > 0) throw new Error(`unknown field ${unknown.join(", ")} (fields: url, timeout, failOpen)`);
  if (typeof doc.url !== "string" || !/^https?:\/\//.test(doc.url) || !URL.canParse(doc.url))
    throw new Error("url: must be the http(s) base URL of Open Policy Agent");
  const timeout = doc.timeout ?? "2s";
  const m = typeof timeout === "string" ? /^(\d+)(ms|s)$/.exec(timeout) : null;
  if (!m || Number(m[1]) === 0) throw new Error('timeout: must be a positive duration in ms or s, e.g. "2s"');
  if (doc.failOpen !== undefined && typeof doc.failOpen !== "boolean")
    throw new Error("failOpen: must be true or false");
  return { url: doc.url, timeoutMs: Number(m[1]) * (m[2] === "s" ? 1000 : 1), failOpen: doc.failOpen === true };
}

/** `package x.y` → the version's own package (the first package line; comments before it are kept). */
export function versionedModule(rego: string, pkg: string): string {
  const re = /^([ \t]*)package[ \t]+[^\s#]+/m;
  if (!re.test(rego)) throw new Error("the policy has no package line");
  return rego.replace(re, `$1package ${pkg}`);
}

export interface SchedulingPolicyDeps {
  readonly config: SchedulingPolicyConfig;
  readonly federation: string;
  state(): FederationState;
  readonly logger: Logger;
}

export class SchedulingPolicy {
  private readonly opa: OpaClient;
  private readonly fedId: string;
  /** Versions this replica pushed (or is pushing), with their module ids. */
  private readonly pushed = new Map<string, { ids: string[]; done: Promise<void> }>();

  constructor(private readonly d: SchedulingPolicyDeps) {
    this.opa = new OpaClient({ url: d.config.url, timeoutMs: d.config.timeoutMs });
    this.fedId = `f${d.federation.replace(/[^a-zA-Z0-9]/g, "_")}_${stableHash(d.federation, "").toString(16)}`;
  }

  private policy(): KubeObject | undefined {
    return getObject(this.d.state(), {
      group: "",
      kind: "ConfigMap",
      namespace: SCHEDULING_POLICY_NAMESPACE,
      name: SCHEDULING_POLICY_CONFIGMAP,
    });
  }

  /** Pushes the folded policy if this replica has not yet (called when the log changes; failures are retried). */
  sync(): void {
    const cm = this.policy();
    if (!cm) return;
    this.push(cm).catch((e: unknown) =>
      this.d.logger.warn({ err: toFederationError(e).message }, "could not load the scheduling policy into OPA"),
    );
  }

  private push(cm: KubeObject, again = false): Promise<void> {
    const rv = String(metaOf(cm).resourceVersion);
    const existing = this.pushed.get(rv);
    if (existing && !again) return existing.done;
    const pkg = `kubefed.scheduling.${this.fedId}.r${rv}`;
    const data = (isObj(cm.data) ? cm.data : {}) as Record<string, string>;
    const keys = Object.keys(data).sort();
    const ids = keys.map((k) => `kubefed/${this.fedId}/r${rv}/${k}`);
    const done = (async () => {
      if (keys.length === 0) throw new Error(`ConfigMap ${SCHEDULING_POLICY_CONFIGMAP} holds no policy`);
      for (const [i, k] of keys.entries()) await this.opa.putPolicy(ids[i]!, versionedModule(data[k]!, pkg));
      this.d.logger.info({ resourceVersion: rv, modules: keys }, "scheduling policy loaded into OPA");
      for (const [old, p] of this.pushed)
        if (old !== rv) {
          this.pushed.delete(old);
          for (const id of p.ids) await this.opa.deletePolicy(id).catch(() => undefined);
        }
    })();
    this.pushed.set(rv, { ids, done });
    // A failed push is tried again by the next write or sync.
    done.catch(() => this.pushed.get(rv)?.done === done && this.pushed.delete(rv));
    return done;
  }

  /** The object with the policy's annotations merged in; throws the Status to answer when it cannot be admitted. */
  async admit(rt: ResourceType, obj: Obj): Promise<Obj> {
    if (!SCHEDULED.has(`${rt.group}/${rt.kind}`)) return obj;
    const cm = this.policy();
    if (!cm) return obj;
    const rv = String(metaOf(cm).resourceVersion);
    const name = String(metaOf(obj).name ?? "");
    let answer: unknown;
    try {
      answer = await this.ask(cm, rv, obj);
    } catch (e) {
      const err = toFederationError(e);
      if (this.d.config.failOpen) {
        this.d.logger.warn(
          { err: err.message, kind: rt.kind, name },
          "scheduling policy not asked (fail-open): admitted unchanged",
        );
        return obj;
      }
      this.d.logger.error({ err: err.message, kind: rt.kind, name }, "scheduling policy admission failed");
      if (err.code === "Unavailable")
        throw new ApiError(Reason.ServiceUnavailable, `scheduling policy: ${err.message}`, { retryAfterSeconds: 1 });
      throw new ApiError(Reason.InternalError, `scheduling policy: ${err.message}`);
    }
    return this.apply(rt, obj, name, answer, rv);
  }

  private async ask(cm: KubeObject, rv: string, obj: Obj): Promise<unknown> {
    const input = { resource: obj, clusters: this.clusters() } as JsonObject;
    const path = `kubefed/scheduling/${this.fedId}/r${rv}`;
    await this.push(cm);
    const answer = await this.opa.query(path, input);
    if (answer !== undefined) return answer;
    // Removed by a replica that moved on to a newer version: this one is still on `rv`.
    await this.push(cm, true);
    const again = await this.opa.query(path, input);
    if (again === undefined) throw new Error(`the policy (resourceVersion ${rv}) is not loaded in OPA`);
    return again;
  }

  private clusters(): JsonObject {
    const out: JsonObject = {};
    for (const [, c] of objectsOfKind(this.d.state(), `${FEDERATION_GROUP}/Cluster`)) {
      const m = metaOf(c);
      out[String(m.name)] = {
        metadata: { name: String(m.name), labels: { ...(m.labels ?? {}) }, annotations: { ...(m.annotations ?? {}) } },
      };
    }
    return out;
  }

  private apply(rt: ResourceType, obj: Obj, name: string, answer: unknown, rv: string): Obj {
    const malformed = (why: string) => {
      this.d.logger.error(
        { kind: rt.kind, name, answer, resourceVersion: rv },
        `scheduling policy answer unusable: ${why}`,
      );
      return new ApiError(
        Reason.InternalError,
        `scheduling policy (resourceVersion ${rv}) answered something unusable: ${why}`,
      );
    };
    if (!isObj(answer)) throw malformed("the document is not an object");
    const { annotations = {}, errors = [] } = answer;
    if (!Array.isArray(errors) || errors.some((e) => typeof e !== "string"))
      throw malformed("errors must be a list of strings");
    if (errors.length > 0)
      throw new ApiError(
        Reason.Forbidden,
        `${rt.kind} "${name}" is forbidden by the scheduling policy: ${errors.join("; ")}`,
        {
          name,
          kind: rt.resource,
        },
      );
    if (!isObj(annotations) || Object.values(annotations).some((v) => typeof v !== "string"))
      throw malformed("annotations must map names to strings");
    if (Object.keys(annotations).length === 0) return obj;
    const meta = metaOf(obj);
    const merged = { ...obj, metadata: { ...meta, annotations: { ...(meta.annotations ?? {}), ...annotations } } };
    const bad = admit(rt, merged).causes.filter((c) => c.field?.startsWith("metadata.annotations"));
    if (bad.length > 0) throw malformed(bad.map((c) => `${c.field}: ${c.message}`).join("; "));
    return merged;
  }
}
