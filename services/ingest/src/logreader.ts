/** Reads the objects log from its start to its current end, for history: the log is the audit trail. */
import { decodeEvent, type FederationEvent, type Keyring } from "@kubefed/events";
import { foldToEnd } from "@kubefed/follower";
import type { TailSource } from "@kubefed/kafka";

type Kept = { event: FederationEvent; offset: string }[];

export async function readLog(
  kafka: TailSource,
  topic: string,
  keyring: Keyring | undefined,
  keep: (e: FederationEvent) => boolean,
): Promise<Kept> {
  return foldToEnd({
    source: kafka,
    topic,
    initial: [] as Kept,
    decode: (r) => decodeEvent({ value: r.value, headers: r.headers }, { keyring }),
    // The list is this read's own: appending in place keeps a long log linear.
    fold: (kept: Kept, batch) => {
      for (const p of batch) if (keep(p.event)) kept.push(p);
      return { state: kept, changes: undefined };
    },
    // An event that can never be decoded is skipped here exactly as the read model skips it, which reported it.
    onSkipped: () => undefined,
  });
}
