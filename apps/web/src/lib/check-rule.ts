// The rule that decides when check (gold) answers pause an annotator. Pure: the vote statement, the My checks
// page, the guidelines and the dataset settings form all read it from here.
//
// An annotator is judged on a rolling window of their last `window` check answers on a dataset, counted from
// their probation start (the last Resume). Nothing pauses before `minAnswers` answers in that window; after
// that, a pause needs clear evidence: the upper end of the Wilson score interval of the window's accuracy is
// below `threshold`. A point estimate below the threshold (with the bound not yet below it) is a warning.

export type TCheckSettings = {
  // Check answers needed (since the probation start) before any pause.
  minAnswers: number;
  // How many of the latest check answers are judged.
  window: number;
  // Accuracy the dataset requires (Dataset.goldMinAccuracy).
  threshold: number;
  // Two-sided confidence level of the Wilson interval, e.g. 0.95.
  confidence: number;
};

export const DEFAULT_CHECK_SETTINGS: TCheckSettings = {
  minAnswers: 10,
  window: 20,
  threshold: 0.6,
  confidence: 0.95,
};

// Acklam's rational approximation of the standard normal quantile (relative error below 1.2e-9).
const A = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
  2.506628277459239,
];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

const poly = (coef: readonly number[], x: number) => coef.reduce((acc, c) => acc * x + c, 0);

export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(C, q) / (poly(D, q) * q + 1);
  }
  if (p > 1 - P_LOW) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (poly(A, r) * q) / (poly(B, r) * r + 1);
}

export type TInterval = { lower: number; upper: number };

// Wilson score interval for `correct` successes in `n` trials at a two-sided confidence level.
export function wilsonInterval(correct: number, n: number, confidence: number): TInterval {
  if (n <= 0) return { lower: 0, upper: 1 };
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = correct / n;
  const z2n = (z * z) / n;
  const center = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n))) / (1 + z2n);
  return { lower: Math.max(0, center - half), upper: Math.min(1, center + half) };
}

export type TCheckStatus = "ok" | "warning" | "pause";

export type TCheckStanding = {
  // Answers in the window (at most settings.window) and how many were right.
  answered: number;
  correct: number;
  accuracy: number | null;
  interval: TInterval;
  // Check answers still needed before a pause is possible (0: the rule applies now).
  toMinimum: number;
  status: TCheckStatus;
};

// outcomes: whether each check answer since the probation start was right, newest first (older ones beyond
// the window may be left out by the caller).
export function judgeChecks(outcomes: readonly boolean[], settings: TCheckSettings): TCheckStanding {
  const window = outcomes.slice(0, settings.window);
  const answered = window.length;
  const correct = window.filter(Boolean).length;
  const interval = wilsonInterval(correct, answered, settings.confidence);
  const toMinimum = Math.max(0, settings.minAnswers - answered);
  const accuracy = answered ? correct / answered : null;
  let status: TCheckStatus = "ok";
  if (toMinimum === 0 && interval.upper < settings.threshold) status = "pause";
  else if (accuracy !== null && accuracy < settings.threshold) status = "warning";
  return { answered, correct, accuracy, interval, toMinimum, status };
}

// The most correct answers out of n that still pause (-1: n answers can never pause).
export function mostCorrectThatPauses(n: number, settings: TCheckSettings): number {
  let k = -1;
  while (k + 1 <= n && wilsonInterval(k + 1, n, settings.confidence).upper < settings.threshold) k++;
  return k;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

// The rule in plain words, for annotators (guidelines, My checks) and admins (dataset settings).
export function describeCheckRule(s: TCheckSettings): string[] {
  const atMin = mostCorrectThatPauses(s.minAnswers, s);
  const atWindow = mostCorrectThatPauses(s.window, s);
  const example = (n: number, k: number) =>
    k < 0 ? `${n} answers never pause` : `${k} or fewer right out of ${n} pauses, ${k + 1} does not`;
  return [
    "Some faces are check questions with a known answer. After each one you see the face, your answer and the expected one.",
    `Only your last ${s.window} check answers on a dataset count, and only those since your account was last resumed.`,
    `Nothing pauses you before ${s.minAnswers} check answers.`,
    `After that, labelling pauses only on clear evidence: when even the upper end of the ${pct(s.confidence)} Wilson confidence interval of your accuracy is below the required ${pct(s.threshold)} (${example(s.minAnswers, atMin)}${s.window !== s.minAnswers ? `; ${example(s.window, atWindow)}` : ""}).`,
    `If your accuracy is below ${pct(s.threshold)} but not yet clearly, you see a warning first.`,
  ];
}

// The reason stored on the user row when the rule pauses them (shown on /label, My checks and /admin/users).
export function pauseReason(datasetName: string, s: TCheckStanding, settings: TCheckSettings): string {
  return (
    `Your last ${s.answered} check answers on "${datasetName}": ${s.correct} right (${pct(s.correct / s.answered)}). ` +
    `Even the upper end of the ${pct(settings.confidence)} confidence interval of your accuracy, ` +
    `${pct(s.interval.upper)}, is below the ${pct(settings.threshold)} this dataset requires. ` +
    "Your answers are listed under My checks; an admin can review them there and resume your account."
  );
}

// The warning an annotator sees while their point estimate is below the threshold but the rule has not paused.
export function warningText(
  datasetName: string,
  s: { answered: number; correct: number; toMinimum: number; threshold: number },
): string {
  const more = `${s.toMinimum} more check ${s.toMinimum === 1 ? "answer" : "answers"}`;
  const wait = s.toMinimum > 0 ? ` Nothing pauses you before ${more}.` : "";
  return (
    `Check questions on "${datasetName}": ${s.correct} of your last ${s.answered} right (${pct(s.correct / s.answered)}), ` +
    `below the ${pct(s.threshold)} required.${wait} Labelling pauses if your accuracy stays clearly below ` +
    `${pct(s.threshold)}; the guidelines show examples of each label.`
  );
}
