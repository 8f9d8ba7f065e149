// The one place that reads the database location; defaults make the embedded start work with no .env.
export const DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/concord";

export function getDatabaseUrl(): string {
  const url = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new Error(`DATABASE_URL must be a postgresql:// URL, got "${url}"`);
  }
  return url;
}
