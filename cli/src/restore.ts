/** `kubefed restore TYPE/NAME --to-revision RV [--dry-run]`: the federation appends the restoring write. */
import { connect, parseTarget, type ConnectionOptions } from "./fedapi.ts";
import { describeChange, type Change } from "./history.ts";

export interface RestoreOptions extends ConnectionOptions {
  target: string;
  toRevision: string;
  namespace?: string;
  dryRun: boolean;
  /** Refuse (409) unless the object is still at this resourceVersion (e.g. the one a dry run showed). */
  resourceVersion?: string;
}

export async function restore(o: RestoreOptions): Promise<string> {
  const { resource, name } = parseTarget(o.target);
  if (!/^\d+$/.test(o.toRevision))
    throw new Error(`--to-revision "${o.toRevision}" is not a resourceVersion (see kubefed history ${o.target})`);
  const api = connect(o);
  const answer = (await api.call("POST", "/federation/restore", {
    resource,
    name,
    namespace: o.namespace ?? api.namespace,
    revision: o.toRevision,
    resourceVersion: o.resourceVersion,
    dryRun: o.dryRun ? "All" : undefined,
  })) as { operation: string; changes: Change[]; object: { metadata: { resourceVersion: string } } };
  const lines = answer.changes.map((c) => `  ${describeChange(c)}`);
  const what = answer.operation === "create" ? "recreated" : "restored";
  if (o.dryRun)
    return [
      `${o.target} would be ${what} from revision ${o.toRevision} (dry run, nothing written):`,
      ...(lines.length > 0 ? lines : ["  (no change)"]),
    ].join("\n");
  return [
    `${o.target} ${what} from revision ${o.toRevision}: resourceVersion ${answer.object.metadata.resourceVersion}`,
    ...lines,
  ].join("\n");
}
