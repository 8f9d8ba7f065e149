// In-process fixed-window limiter for login attempts (per email + IP). One web process is the deployment
// unit here; behind several replicas each keeps its own window, which still bounds guessing per process.
export type TRateLimiter = {
  hit(key: string, now?: number): { allowed: boolean; retryAfterS: number; remaining: number };
  // Whether one more hit would be allowed, without counting one.
  check(key: string, now?: number): { allowed: boolean; retryAfterS: number };
  reset(key: string): void;
};

export function createRateLimiter(limit: number, windowMs: number, maxKeys = 50_000): TRateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    hit(key, now = Date.now()) {
      let w = windows.get(key);
      if (!w || now - w.start >= windowMs) {
        // Bound memory under a flood of distinct keys: drop the oldest entries.
        if (windows.size >= maxKeys) {
          const first = windows.keys().next().value;
          if (first !== undefined) windows.delete(first);
        }
        w = { start: now, count: 0 };
        windows.set(key, w);
      }
      w.count += 1;
      const retryAfterS = Math.max(1, Math.ceil((w.start + windowMs - now) / 1000));
      return { allowed: w.count <= limit, retryAfterS, remaining: Math.max(0, limit - w.count) };
    },
    check(key, now = Date.now()) {
      const w = windows.get(key);
      if (!w || now - w.start >= windowMs) return { allowed: true, retryAfterS: 0 };
      return {
        allowed: w.count < limit,
        retryAfterS: Math.max(1, Math.ceil((w.start + windowMs - now) / 1000)),
      };
    },
    reset(key) {
      windows.delete(key);
    },
  };
}
