// worker_threads entry: loader hooks are per thread, so register tsx here before loading the TS worker.
import { register } from "tsx/esm/api";

register();
await import("./gradient-worker.ts");
