/**
 * How a measured number is written for a person, in one place: the rules' messages and fix titles,
 * the sidebar, the panel and the report all write it the same way. (A number written into the
 * user's own file is another matter: it must read back exactly, see `formatNumber` in
 * src/model/fixes.ts.)
 */

/**
 * `digits` significant digits, written as a person would: plain from 0.001 up to 10,000 (or up to
 * 10^digits when more digits are asked for), exponent form outside ("2e-11", "2.6e7", never
 * "2.0e-11" or "2.6e+7"): 2e-11, 0.0033, 810, 1.2e4 with 2 digits; 2.4186e-9, 0.0421337 with 6.
 */
export function shortNumber(v: number, digits = 2): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  // Rounded first, so that 0.00099999 is written 0.001 and 9999.5 is written 1e4.
  const r = Number(v.toPrecision(digits));
  const a = Math.abs(r);
  if (a >= 1e-3 && a < 10 ** Math.max(4, digits)) return String(r);
  const [m, e] = r.toExponential(digits - 1).split('e');
  return `${m.includes('.') ? m.replace(/\.?0+$/, '') : m}e${Number(e)}`;
}

/** A share in [0, 1] as a percentage: "94%", "0.3%", "<0.1%", "0%". */
export function percent(share: number): string {
  const p = share * 100;
  if (p === 0) return '0%';
  if (p < 0.1) return '<0.1%';
  if (p < 10 && !Number.isInteger(p)) return `${p.toFixed(1)}%`;
  return `${Math.round(p)}%`;
}

/** "512 bytes", "1.5 KiB", "16 MiB", "3.7 GiB": one decimal below 10, none above. */
export function formatBytes(b: number): string {
  if (!Number.isFinite(b)) return 'more memory than exists';
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let u = 0;
  while (b >= 1024 && u < units.length - 1) {
    b /= 1024;
    u++;
  }
  return `${u === 0 ? b : b.toFixed(b < 10 ? 1 : 0)} ${units[u]}`;
}

/** "200 ms", "2 s", "1.5 s". */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
