// Accounts the harness guarantees in its fresh database (the contract's demo emails, with a known password).
export const E2E_PASSWORD = "concord-e2e-password";

export const ACCOUNTS = {
  admin: { email: "admin@concord.local", name: "Ada Admin", role: "ADMIN" },
  researcher: { email: "researcher@concord.local", name: "Rosalind Researcher", role: "RESEARCHER" },
  annotator1: { email: "annotator1@concord.local", name: "Annie Annotator", role: "ANNOTATOR" },
  annotator2: { email: "annotator2@concord.local", name: "Arno Annotator", role: "ANNOTATOR" },
} as const;

export type TAccount = keyof typeof ACCOUNTS;
