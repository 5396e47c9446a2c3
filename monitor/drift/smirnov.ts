/**
 * Survival function of the one-sided one-sample Kolmogorov–Smirnov statistic D+_n:
 * Pr(D+_n >= x) — SciPy's `scipy.special.smirnov(n, x)`, ported from cephes kolmogorov.c
 * (`_smirnov`, as rewritten by van Mulbregt, arXiv:1802.06966), the same branches and the same
 * Birnbaum–Tingey / Smirnov–Dwass sums:
 *
 *   Pr(D+_n >= x) = x · Σ_{v=0}^{⌊n(1-x)⌋} C(n, v) (x + v/n)^(v-1) (1 - x - v/n)^(n-v)
 *
 * SciPy keeps the terms in double-double; here each term is a double evaluated in log space with
 * the binomial coefficient carried as mantissa · 2^exponent, which keeps ~1e-12 relative accuracy
 * for the n (≤ 10^6) the two-sample KS test asks for.
 */

const SMIRNOV_MAX_COMPUTE_N = 1_000_000;
const SM_UPPER_MAX_TERMS = 3;
const SM_UPPERSUM_MIN_N = 10;
/** cephes MINLOG: log(2^-1075). */
const MINLOG = -7.451332191019412076235e2;
const DBL_EPSILON = 2.220446049250313e-16;

export function smirnovSurvival(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1)) return NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;

  const { floor: nxfl, alpha } = floorTimes(n, x);
  let n1mxfl = n - nxfl - (alpha === 0 ? 0 : 1);
  let n1mxceil = n - nxfl;
  if (alpha === 0) {
    n1mxfl -= 1;
    n1mxceil += 1;
  }
  // x <= 1/n
  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) return clip(1 - x * Math.pow(1 + x, n - 1));
  // the survival function underflows
  if (-2 * n * x * x < MINLOG) return 0;
  // x >= 1 - 1/n
  if (nxfl >= n - 1) return clip(Math.pow(1 - x, n));
  if (n > SMIRNOV_MAX_COMPUTE_N) {
    // p ~ e^(-(6nx+1)^2 / 18n)
    const logp = -Math.pow(6 * n * x + 1, 2) / 18 / n;
    return clip(logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp));
  }

  const nUpperTerms = n - n1mxceil + 1;
  const useUpperSum =
    (nUpperTerms <= 1 && x < 0.5) ||
    (n >= SM_UPPERSUM_MIN_N && nUpperTerms <= SM_UPPER_MAX_TERMS && x <= 0.5 / Math.sqrt(n));

  // Terms A_v = C(n, v) (x + v/n)^(v-1) (1 - x - v/n)^(n-v); the sum times x is the lower tail
  // (cdf) for the upper sum, the upper tail (sf) for the lower one.
  const start = useUpperSum ? n : 0;
  const step = useUpperSum ? -1 : 1;
  const nTerms = useUpperSum ? n - n1mxceil + 1 : n1mxfl + 1;
  const vmid = Math.floor(n / 2);
  let sum = useUpperSum ? Math.pow(1 + x, n - 1) : Math.pow(1 - x, n) / x;
  let binomialMantissa = 1; // C(n, j) = mantissa · 2^exponent
  let binomialExponent = 0;
  [binomialMantissa, binomialExponent] = nextBinomial(binomialMantissa, binomialExponent, n, 0);
  for (let j = 1; j < nTerms; j++) {
    const v = start + j * step;
    // 1 - x - v/n and x + v/n from the exact split n·x = nxfl + alpha
    const below = (n - nxfl - v - alpha) / n;
    const above = (nxfl + v + alpha) / n;
    // (1 - x - v/n) is negative in the upper sum: its terms alternate in sign
    const logMagnitude =
      Math.log(binomialMantissa) +
      binomialExponent * Math.LN2 +
      (v - 1) * Math.log(above) +
      (n - v) * Math.log(Math.abs(below));
    const term = below < 0 && (n - v) % 2 === 1 ? -Math.exp(logMagnitude) : Math.exp(logMagnitude);
    if (Number.isFinite(term) && term !== 0) sum += term;
    if (term !== 0) {
      if (4 * (nTerms - j) * Math.abs(term) < DBL_EPSILON * sum && j !== nTerms - 1) break;
    } else if (j > vmid) {
      break;
    }
    [binomialMantissa, binomialExponent] = nextBinomial(binomialMantissa, binomialExponent, n, j);
  }
  const prob = x * sum;
  return clip(useUpperSum ? 1 - prob : prob);
}

/** C(n, j+1) from C(n, j) = mantissa · 2^exponent, renormalised so the mantissa stays in [0.5, 1). */
function nextBinomial(mantissa: number, exponent: number, n: number, j: number): [number, number] {
  let m = (mantissa * (n - j)) / (j + 1);
  let e = exponent;
  while (m >= 1) {
    m /= 2;
    e++;
  }
  while (m < 0.5 && m > 0) {
    m *= 2;
    e--;
  }
  return [m, e];
}

/** ⌊n·x⌋ and the fractional part n·x - ⌊n·x⌋, exactly (Dekker's product), as cephes' modNX. */
export function floorTimes(n: number, x: number): { floor: number; alpha: number } {
  const [hi, lo] = twoProduct(n, x);
  let floor = Math.floor(hi);
  let alpha = hi - floor + lo; // hi - floor is exact
  if (alpha < 0) {
    floor -= 1;
    alpha += 1;
  }
  if (alpha >= 1) {
    floor += 1;
    alpha = 0;
  }
  return { floor, alpha };
}

/** hi + lo = a · b exactly (Veltkamp split). */
function twoProduct(a: number, b: number): [number, number] {
  const hi = a * b;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  const lo = ah * bh - hi + ah * bl + al * bh + al * bl;
  return [hi, lo];
}

function split(a: number): [number, number] {
  const c = 134217729 * a; // 2^27 + 1
  const hi = c - (c - a);
  return [hi, a - hi];
}

function clip(p: number): number {
  return p < 0 ? 0 : p > 1 ? 1 : p;
}
