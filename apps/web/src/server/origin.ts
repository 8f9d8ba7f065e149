// CSRF defence for mutating route handlers, on top of the sameSite=lax session cookie: a browser always
// sends Origin on cross-origin POST/PUT/PATCH/DELETE, so a present Origin must name this site. Requests
// without Origin come from non-browser clients (scripts, the load benchmark), which carry no ambient cookie.
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function isMutating(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

export function isSameOrigin(
  origin: string | null,
  host: string | null,
  forwardedHost: string | null,
  publicUrl: string,
): boolean {
  if (origin === null) return true;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return false; // "null" (sandboxed iframes, file://) or garbage
  }
  const allowed = new Set<string>();
  if (host) allowed.add(host);
  if (forwardedHost) allowed.add(forwardedHost.split(",")[0]!.trim());
  try {
    allowed.add(new URL(publicUrl).host);
  } catch {}
  return allowed.has(originHost);
}
