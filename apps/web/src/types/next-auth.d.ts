import type { DefaultSession } from "next-auth";
import type { TRole } from "@/lib/roles";

declare module "next-auth" {
  interface Session {
    user: DefaultSession["user"] & { id: string; role: TRole };
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    id: string;
    role: TRole;
  }
}
