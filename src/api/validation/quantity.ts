/**
 * Resource quantities ("100m", "1Gi", "1e3", "0.5"): parsed exactly into integer nano-units
 * (BigInt), so requests and limits compare without floating-point error, and printed back in
 * Kubernetes' canonical form ("1000m" → "1", "1024Mi" → "1Gi"), which is what error messages and
 * `kubectl describe` show. Values below one nano-unit round up, as upstream's do.
 */

/** QuantityFormat is how a quantity prints: by the family of the suffix it was written with. */
export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** Quantity is a parsed quantity: value × 10⁻⁹ exactly, and its print format. */
export interface Quantity {
  nanos: bigint;
  format: QuantityFormat;
}

/** QUANTITY_FORMAT_ERROR is upstream's message for a string that is not a quantity. */
export const QUANTITY_FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

const SHAPE = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)$/;

const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12,
  P: 15, E: 18 };
const NANO_EXP = 9;

const pow10 = (n: number): bigint => 10n ** BigInt(n);

/** suffixScale: [base-2 shift, base-10 exponent, format] for a suffix; undefined if unknown. */
function suffixScale(suffix: string): [number, number, QuantityFormat] | undefined {
  const bin = BINARY[suffix];
  if (bin !== undefined) return [bin, 0, 'BinarySI'];
  const dec = DECIMAL[suffix];
  if (dec !== undefined) return [0, dec, 'DecimalSI'];
  const exp = /^[eE]([-+]?\d+)$/.exec(suffix);
  if (exp?.[1] !== undefined) return [0, Number(exp[1]), 'DecimalExponent'];
  return undefined;
}

/** ceilDiv divides rounding toward +∞ (sub-nano remainders round up, as upstream). */
function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n ? q + 1n : q;
}

/**
 * parseQuantity reads a quantity from JSON (a string, or a bare number as YAML often gives);
 * returns an error message instead when it is not one.
 */
export function parseQuantity(raw: unknown): Quantity | string {
  const text = typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : raw;
  if (typeof text !== 'string') return QUANTITY_FORMAT_ERROR;
  const m = SHAPE.exec(text.trim());
  const num = m?.[1];
  if (!m || num === undefined) return QUANTITY_FORMAT_ERROR;
  if (!NUMBER.test(num)) return 'unable to parse numeric part of quantity';
  const scale = suffixScale(m[2] ?? '');
  if (!scale) return "unable to parse quantity's suffix";
  const [shift, exp10, format] = scale;
  const negative = num.startsWith('-');
  const digits = num.replace(/^[+-]/, '');
  const [whole = '', frac = ''] = digits.split('.');
  let mantissa = BigInt(`${whole}${frac}` || '0') << BigInt(shift);
  const exponent = exp10 - frac.length + NANO_EXP;
  if (exponent >= 0) mantissa *= pow10(exponent);
  else mantissa = ceilDiv(mantissa, pow10(-exponent));
  return { nanos: negative ? -mantissa : mantissa, format };
}

/** compareQuantities: -1, 0 or 1, as a and b compare by value. */
export function compareQuantities(a: Quantity, b: Quantity): number {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

const DECIMAL_SUFFIX: Record<number, string> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k',
  6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };
const BINARY_SUFFIXES: [string, number][] = [['Ei', 60], ['Pi', 50], ['Ti', 40], ['Gi', 30], ['Mi',
  20], ['Ki', 10]];

/** binaryString prints whole byte counts of at least 1Ki with the largest exact binary suffix. */
function binaryString(nanos: bigint): string | undefined {
  const unit = pow10(NANO_EXP);
  if (nanos % unit !== 0n) return undefined;
  const n = nanos / unit;
  const abs = n < 0n ? -n : n;
  if (abs < 1024n) return undefined;
  for (const [suffix, shift] of BINARY_SUFFIXES) {
    const div = 1n << BigInt(shift);
    if (abs % div === 0n) return `${n / div}${suffix}`;
  }
  return undefined;
}

/**
 * quantityString prints the canonical form: the largest exponent (a multiple of 3) that keeps the
 * number whole, with the suffix family the quantity was written in.
 */
export function quantityString(q: Quantity): string {
  if (q.nanos === 0n) return '0';
  if (q.format === 'BinarySI') {
    const bin = binaryString(q.nanos);
    if (bin !== undefined) return bin;
  }
  let exp = -9;
  let n = q.nanos;
  while (exp < 18 && n % 1000n === 0n) {
    n /= 1000n;
    exp += 3;
  }
  if (q.format === 'DecimalExponent') return exp === 0 ? `${n}` : `${n}e${exp}`;
  return `${n}${DECIMAL_SUFFIX[exp] ?? ''}`;
}

/** canonicalQuantity re-prints a raw quantity canonically; undefined when it does not parse. */
export function canonicalQuantity(raw: unknown): string | undefined {
  const q = parseQuantity(raw);
  return typeof q === 'string' ? undefined : quantityString(q);
}
