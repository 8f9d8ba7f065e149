// Special functions for the variational updates (MACE): digamma and log-gamma for x > 0.

/** psi(x) = d/dx log Gamma(x): recurrence up to x >= 10, then the asymptotic series (error < 1e-13). */
export function digamma(x: number): number {
  let r = 0;
  while (x < 10) {
    r -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  return (
    r + Math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f * (1 / 132)))))
  );
}

/** log Gamma(x): recurrence up to x >= 10, then Stirling's series (error < 1e-13). */
export function logGamma(x: number): number {
  let r = 0;
  while (x < 10) {
    r -= Math.log(x);
    x += 1;
  }
  const f = 1 / (x * x);
  return (
    r +
    (x - 0.5) * Math.log(x) -
    x +
    0.5 * Math.log(2 * Math.PI) +
    (1 / x) * (1 / 12 - f * (1 / 360 - f * (1 / 1260 - f * (1 / 1680 - f / 1188))))
  );
}
