export { program } from "./program.ts";
export { entryPoint } from "./init/manifests.ts";
