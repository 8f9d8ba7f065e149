export { buildWebIfStale, sourceStamp, type TBuildOptions, type TBuildResult } from "./build";
export { holdLock, WEB_BUILD_LOCK } from "./lock";
export { startNext, type TStartNextOptions, type TWebServer } from "./next-server";
export { repoRoot, webDir } from "./paths";
export { freePort, isPortOpen } from "./port";
export {
  liveGroupMembers,
  startServer,
  stopProcessGroup,
  type TServerProcess,
  type TStartServerOptions,
} from "./process-group";
export { signIn, signInCookie, type TSignIn } from "./sign-in";
