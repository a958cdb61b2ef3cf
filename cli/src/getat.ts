/**
 * `kubefed get TYPE[/NAME] --at TIME|RV`: an object or a list as it was, read with
 * `resourceVersionMatch=Exact` (a time is first turned into the resourceVersion current then).
 */
import { stringify } from "yaml";
import { collectionPath, columns, connect, resolveType, type ConnectionOptions } from "./fedapi.ts";
import { checkTime } from "./history.ts";

export interface GetAtOptions extends ConnectionOptions {
  target: string;
  at: string;
  namespace?: string;
  allNamespaces?: boolean;
  output: "table" | "json" | "yaml" | "name";
}

export async function getAt(o: GetAtOptions): Promise<string> {
  const slash = o.target.indexOf("/");
  const [typed, name] = slash < 0 ? [o.target, undefined] : [o.target.slice(0, slash), o.target.slice(slash + 1)];
  if (typed === "" || name === "" || name?.includes("/"))
    throw new Error(`expected TYPE or TYPE/NAME (for example configmaps or configmap/settings), got "${o.target}"`);
  const time = /^\d+$/.test(o.at) ? undefined : checkTime(o.at, "--at");
  const api = connect(o);
  const rt = await resolveType(api, typed);
  const rv =
    time === undefined ? o.at : (await api.call("GET", "/federation/resourceversion", { time })).resourceVersion;
  const namespace = o.allNamespaces && name === undefined ? undefined : (o.namespace ?? api.namespace);
  const list = await api.call("GET", collectionPath(rt, namespace), {
    resourceVersion: rv,
    resourceVersionMatch: "Exact",
    fieldSelector: name !== undefined ? `metadata.name=${name}` : undefined,
  });
  const items = list.items as { metadata: { name: string; namespace?: string; resourceVersion: string } }[];
  if (name !== undefined && items.length === 0)
    throw new Error(`${rt.resource} "${name}" did not exist at resourceVersion ${rv}`);
  const doc = name !== undefined ? items[0] : list;
  switch (o.output) {
    case "json":
      return JSON.stringify(doc, null, 2);
    case "yaml":
      return stringify(doc).trimEnd();
    case "name":
      return items.map((i) => `${rt.resource}/${i.metadata.name}`).join("\n");
    default:
      if (items.length === 0) return `No resources found at resourceVersion ${rv}.`;
      return columns([
        [...(rt.namespaced ? ["NAMESPACE"] : []), "NAME", "RESOURCEVERSION"],
        ...items.map((i) => [
          ...(rt.namespaced ? [i.metadata.namespace ?? ""] : []),
          i.metadata.name,
          i.metadata.resourceVersion,
        ]),
      ]);
  }
}
