// BullMQ sandboxed processor entry (a plain .mjs so it loads in a forked child whatever the parent's
// loader): registers tsx, then loads the TypeScript processor.
import { register } from "tsx/esm/api";

// A child whose worker died (kill -9) must not train on unsupervised: its lock is gone and another
// worker will resume the run from the checkpoint.
process.on("disconnect", () => process.exit(1));

register();
const { processJob } = await import("./sandbox.ts");

export default processJob;
