#!/usr/bin/env node
// Runs the TypeScript CLI in-process through tsx's loader (packages are source-first), so signals and
// kill -9 reach the trainer itself rather than a wrapper.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/train-cli.ts");
