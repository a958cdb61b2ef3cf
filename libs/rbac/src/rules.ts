/**
 * One policy rule against one request, and one set of rules against another (escalation), with Kubernetes'
 * semantics: `*` matches anything, `resource/subresource` and `*` + `/subresource` name subresources, an empty
 * resourceNames list means every name, and a non-resource URL ending in `*` is a prefix.
 */
import type { Attributes, PolicyRule } from "./types.ts";

const ALL = "*";
const has = (list: readonly string[] | undefined, x: string): boolean => list !== undefined && list.includes(x);

export const verbMatches = (r: PolicyRule, verb: string): boolean => has(r.verbs, ALL) || has(r.verbs, verb);

export const groupMatches = (r: PolicyRule, group: string): boolean => has(r.apiGroups, ALL) || has(r.apiGroups, group);

/** The rule names `deployments`, `deployments/scale`, `*`, or any resource with this subresource. */
export function resourceMatches(r: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource === "" ? resource : `${resource}/${subresource}`;
  for (const ruleResource of r.resources ?? []) {
    if (ruleResource === ALL || ruleResource === combined) return true;
    if (subresource !== "" && ruleResource === `*/${subresource}`) return true;
  }
  return false;
}

export const nameMatches = (r: PolicyRule, name: string): boolean =>
  r.resourceNames === undefined || r.resourceNames.length === 0 || r.resourceNames.includes(name);

export function urlMatches(r: PolicyRule, path: string): boolean {
  for (const u of r.nonResourceURLs ?? []) {
    if (u === ALL || u === path) return true;
    if (u.endsWith(ALL) && path.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

/** Whether `rule` allows the request. */
export function ruleAllows(rule: PolicyRule, a: Attributes): boolean {
  if (!verbMatches(rule, a.verb)) return false;
  if (!a.resourceRequest) return urlMatches(rule, a.path ?? "");
  return (
    groupMatches(rule, a.apiGroup ?? "") &&
    resourceMatches(rule, a.resource ?? "", a.subresource ?? "") &&
    nameMatches(rule, a.name ?? "")
  );
}

/**
 * Splits a rule into rules of one verb, one group, one resource and one name (or URL) each: the unit in which
 * coverage is decided and missing rights are reported.
 */
export function breakdown(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const verb of rule.verbs) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        const names = rule.resourceNames ?? [];
        if (names.length === 0) out.push({ verbs: [verb], apiGroups: [group], resources: [resource] });
        for (const name of names)
          out.push({ verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: [name] });
      }
    }
    for (const url of rule.nonResourceURLs ?? []) out.push({ verbs: [verb], nonResourceURLs: [url] });
  }
  return out;
}

/** Whether `owner` grants everything the one-verb, one-resource rule `atom` grants (literally: `*` needs `*`). */
function ruleCovers(owner: PolicyRule, atom: PolicyRule): boolean {
  const verb = atom.verbs[0]!;
  if (!verbMatches(owner, verb)) return false;
  const url = atom.nonResourceURLs?.[0];
  if (url !== undefined) {
    return (owner.nonResourceURLs ?? []).some(
      (u) => u === ALL || u === url || (u.endsWith(ALL) && url.startsWith(u.slice(0, -1))),
    );
  }
  const group = atom.apiGroups?.[0] ?? "";
  const resource = atom.resources?.[0] ?? "";
  if (!groupMatches(owner, group)) return false;
  const slash = resource.indexOf("/");
  const covered =
    has(owner.resources, ALL) ||
    has(owner.resources, resource) ||
    (slash > 0 && has(owner.resources, `*${resource.slice(slash)}`));
  if (!covered) return false;
  if (owner.resourceNames === undefined || owner.resourceNames.length === 0) return true;
  const name = atom.resourceNames?.[0];
  return name !== undefined && owner.resourceNames.includes(name);
}

/** The parts of `requested` that `owned` does not grant; empty when every requested right is held. */
export function uncovered(owned: readonly PolicyRule[], requested: readonly PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const rule of requested)
    for (const atom of breakdown(rule)) if (!owned.some((o) => ruleCovers(o, atom))) missing.push(atom);
  return missing;
}

const quoted = (xs: readonly string[]) => `[${xs.map((x) => JSON.stringify(x)).join(" ")}]`;

/** `{APIGroups:["apps"], Resources:["deployments"], Verbs:["get"]}`: how Kubernetes prints a rule in messages. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups && r.apiGroups.length > 0) parts.push(`APIGroups:${quoted(r.apiGroups)}`);
  if (r.resources && r.resources.length > 0) parts.push(`Resources:${quoted(r.resources)}`);
  if (r.resourceNames && r.resourceNames.length > 0) parts.push(`ResourceNames:${quoted(r.resourceNames)}`);
  if (r.nonResourceURLs && r.nonResourceURLs.length > 0) parts.push(`NonResourceURLs:${quoted(r.nonResourceURLs)}`);
  if (r.verbs.length > 0) parts.push(`Verbs:${quoted(r.verbs)}`);
  return `{${parts.join(", ")}}`;
}
