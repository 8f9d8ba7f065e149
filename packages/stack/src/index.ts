export {
  canLogin,
  findFreePort,
  isPortOpen,
  resolvePostgres,
  resolveRedis,
  startEmbeddedPostgres,
} from "./services";
