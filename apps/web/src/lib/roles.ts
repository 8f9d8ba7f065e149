// Who may open what: the single table the nav, the page guards and the tests read.
export const ROLES = ["ANNOTATOR", "RESEARCHER", "ADMIN"] as const;
export type TRole = (typeof ROLES)[number];

export const ACCESS = {
  label: ["ANNOTATOR"],
  admin: ["ADMIN"],
  research: ["RESEARCHER", "ADMIN"],
} as const satisfies Record<string, readonly TRole[]>;

export type TNavLink = { href: string; label: string };
export type TNavSection = { title: string; roles: readonly TRole[]; links: TNavLink[] };

export const NAV: TNavSection[] = [
  {
    title: "Annotate",
    roles: ACCESS.label,
    links: [
      { href: "/label", label: "Label" },
      { href: "/label/checks", label: "My checks" },
      { href: "/label/guidelines", label: "Guidelines" },
    ],
  },
  {
    title: "Admin",
    roles: ACCESS.admin,
    links: [
      { href: "/admin/datasets", label: "Datasets" },
      { href: "/admin/snapshots", label: "Snapshots" },
      { href: "/admin/runs", label: "Runs" },
      { href: "/admin/jobs", label: "Jobs" },
      { href: "/admin/users", label: "Users" },
    ],
  },
  {
    title: "Research",
    roles: ACCESS.research,
    links: [
      { href: "/research/agreement", label: "Agreement" },
      { href: "/research/runs", label: "Runs" },
      { href: "/research/compare", label: "Compare" },
      { href: "/research/review", label: "Review" },
    ],
  },
];

export function navFor(role: TRole): TNavSection[] {
  return NAV.filter((s) => (s.roles as readonly TRole[]).includes(role));
}

// Where a user lands after logging in.
export function homeFor(role: TRole): string {
  if (role === "ADMIN") return "/admin/datasets";
  if (role === "RESEARCHER") return "/research/agreement";
  return "/label";
}
