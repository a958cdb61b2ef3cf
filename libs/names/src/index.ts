// @kubefed/names: every derived name (topics, consumer groups, labels, DNS names) and Kubernetes name validation.
export * from "./names.ts";
export * from "./validation.ts";
