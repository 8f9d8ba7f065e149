import { ACCESS } from "@/lib/roles";
import { parseJson, withRole } from "@/server/guards";
import { createUser, listUsers, ZCreateUser } from "@/server/users/users";

export const GET = withRole(ACCESS.admin, async () => Response.json({ users: await listUsers() }));

// POST /api/users { name, email, role, password } -> 201; 409 when the email is taken.
export const POST = withRole(ACCESS.admin, async (req) => {
  const input = await parseJson(req, ZCreateUser);
  return Response.json({ user: await createUser(input) }, { status: 201 });
});
