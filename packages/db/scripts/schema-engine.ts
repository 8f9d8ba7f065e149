// Drives Prisma's WebAssembly schema engine offline (the CLI only knows how to download a native binary).
// Used by `npm run db:diff` to write migration SQL; applying migrations never needs it (see src/migrate.ts).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";

const require = createRequire(import.meta.url);

export type TSchemaEngine = {
  diff(params: unknown): Promise<{ exitCode: number; stdout: string | null }>;
};

// Introspection reads pg_catalog columns of Postgres' internal "char" type (OID 18), which adapter-pg
// does not deserialise: read them as text.
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

type TPerformIO = (query: unknown) => Promise<{ fields: { dataTypeID: number }[] }>;

function patchCharColumns<T extends object>(adapter: T): T {
  // performIO lives on the adapter's class; re-type "char" result columns as text before adapter-pg maps them.
  const proto = Object.getPrototypeOf(Object.getPrototypeOf(adapter)) as { performIO?: TPerformIO };
  const original = proto.performIO;
  if (original && !(original as { patched?: boolean }).patched) {
    const patched: TPerformIO = async function (this: unknown, query) {
      const result = await original.call(this, query);
      for (const field of result.fields) if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
      return result;
    };
    (patched as { patched?: boolean }).patched = true;
    proto.performIO = patched;
  }
  return adapter;
}

export async function openSchemaEngine(schemaPath: string, connectionString: string): Promise<TSchemaEngine> {
  const bgPath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
  const bg = await import(pathToFileURL(bgPath).href);
  const bytes = readFileSync(bgPath.replace(/\.js$/, ".wasm"));
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { "./schema_engine_bg.js": bg });
  bg.__wbg_set_wasm(instance.exports);
  const factory = new PrismaPg({ connectionString }, { schema: "public" });
  const connect = factory.connect.bind(factory);
  factory.connect = async () => patchCharColumns(await connect());
  const adapter = bindMigrationAwareSqlAdapterFactory(factory);
  const schema = readFileSync(schemaPath, "utf8");
  return bg.SchemaEngine.new(
    { datamodels: [[schemaPath, schema]] },
    (log: string) => process.env.CONCORD_DEBUG_SCHEMA_ENGINE && console.error(log),
    adapter,
  );
}

const NO_FILTER = { externalTables: [], externalEnums: [] };

// SQL that would take the live database at `url` to the schema file: empty when they agree (drift check).
export async function diffDatabaseToSchema(schemaPath: string, url: string): Promise<string> {
  const engine = await openSchemaEngine(schemaPath, url);
  const result = await engine.diff({
    // "schemaDatasource" = the database the engine's adapter is connected to.
    from: {
      tag: "schemaDatasource",
      files: [{ path: schemaPath, content: readFileSync(schemaPath, "utf8") }],
      configDir: dirname(schemaPath),
    },
    to: { tag: "schemaDatamodel", files: [{ path: schemaPath, content: readFileSync(schemaPath, "utf8") }] },
    script: true,
    exitCode: false,
    filters: NO_FILTER,
  });
  return result.stdout ?? "";
}
