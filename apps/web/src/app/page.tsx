import { redirect } from "next/navigation";
import { homeFor } from "@/lib/roles";
import { requireUser } from "@/server/guards";

export default async function Home() {
  const user = await requireUser();
  redirect(homeFor(user.role));
}
