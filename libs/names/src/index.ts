// @kubefed/names: every derived name (object keys, topics, consumer groups, labels, DNS names) and Kubernetes name
// validation.
export * from "./keys.ts";
export * from "./names.ts";
export * from "./validation.ts";
export * from "./hosting.ts";
