export { canLogin, resolvePostgres, resolveRedis, startEmbeddedPostgres } from "./services";
