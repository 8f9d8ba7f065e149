// Prints the SQL that takes the database described by prisma/migrations to prisma/schema.prisma.
// Usage: npm run db:diff -w @concord/db > prisma/migrations/<timestamp>_<name>/migration.sql
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { openSchemaEngine } from "./schema-engine";

const root = resolve(import.meta.dirname, "../../..");
const schemaPath = join(root, "prisma/schema.prisma");
const migrationsDir = join(root, "prisma/migrations");
const url = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

const migrations = existsSync(migrationsDir)
  ? readdirSync(migrationsDir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
      .map((name) => ({
        path: name,
        migrationFile: {
          path: "migration.sql",
          content: { tag: "ok", value: readFileSync(join(migrationsDir, name, "migration.sql"), "utf8") },
        },
      }))
  : [];

const engine = await openSchemaEngine(schemaPath, url);
const from =
  migrations.length === 0
    ? { tag: "empty" }
    : {
        tag: "migrations",
        baseDir: migrationsDir,
        lockfile: { path: "migration_lock.toml", content: null },
        migrationDirectories: migrations,
        shadowDbInitScript: "",
      };
const result = await engine.diff({
  from,
  to: { tag: "schemaDatamodel", files: [{ path: schemaPath, content: readFileSync(schemaPath, "utf8") }] },
  script: true,
  exitCode: false,
  filters: { externalTables: [], externalEnums: [] },
});
process.stdout.write(result.stdout ?? "");
