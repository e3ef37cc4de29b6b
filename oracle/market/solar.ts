/**
 * PV output for simulations: the sun's position (NOAA's general solar position equations, about
 * 0.5° from the ephemeris), clear-sky global horizontal irradiance by Haurwitz (1945) — it needs
 * only the solar zenith, and did well among such models in Sandia's comparison (Reno, Hansen and
 * Stein, SAND2012-2389) —, and a seeded cloudiness process: total cloud cover as a bounded AR(1)
 * series, turned into a transmission factor by Kasten & Czeplak (1980).
 *
 * A PV array's availability is its output as a fraction of its rating: GHI / 1000 W/m² (the
 * standard test condition), capped at 1, times the cloud factor. Horizontal modules, no
 * temperature or inverter losses: a shape for a market simulation, not a yield assessment.
 *
 * Units: degrees for angles given and returned, W/m² for irradiance, Unix seconds for time.
 */
import type { SeededRandom } from "./random";

const DEG = Math.PI / 180;
/** Irradiance of the standard test condition, W/m²: a module's rating. */
export const STC_IRRADIANCE = 1000;

/** Cosine of the solar zenith angle at `unixSeconds` (UTC) at latitude/longitude (degrees, east positive). */
export function cosZenith(unixSeconds: number, latitudeDeg: number, longitudeDeg: number): number {
  const date = new Date(unixSeconds * 1000);
  const year = date.getUTCFullYear();
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const dayOfYear = Math.floor((Date.UTC(year, date.getUTCMonth(), date.getUTCDate()) - Date.UTC(year, 0, 1)) / 864e5);
  const minutes = date.getUTCHours() * 60 + date.getUTCMinutes() + date.getUTCSeconds() / 60;
  // Fractional year, radians.
  const g = ((2 * Math.PI) / (leap ? 366 : 365)) * (dayOfYear + (minutes / 60 - 12) / 24);
  const equationOfTime =
    229.18 *
    (0.000075 +
      0.001868 * Math.cos(g) -
      0.032077 * Math.sin(g) -
      0.014615 * Math.cos(2 * g) -
      0.040849 * Math.sin(2 * g));
  const declination =
    0.006918 -
    0.399912 * Math.cos(g) +
    0.070257 * Math.sin(g) -
    0.006758 * Math.cos(2 * g) +
    0.000907 * Math.sin(2 * g) -
    0.002697 * Math.cos(3 * g) +
    0.00148 * Math.sin(3 * g);
  const trueSolarMinutes = minutes + equationOfTime + 4 * longitudeDeg;
  const hourAngle = (trueSolarMinutes / 4 - 180) * DEG;
  const lat = latitudeDeg * DEG;
  return Math.sin(lat) * Math.sin(declination) + Math.cos(lat) * Math.cos(declination) * Math.cos(hourAngle);
}

/** Haurwitz clear-sky GHI, W/m²: 1098 · cos z · exp(−0.057 / cos z), 0 with the sun below the horizon. */
export function haurwitzGhi(cosZ: number): number {
  return cosZ > 0 ? 1098 * cosZ * Math.exp(-0.057 / cosZ) : 0;
}

/** Mean clear-sky GHI over [start, start + minutes), W/m², sampled at the middle of every minute. */
export function meanClearSkyGhi(start: number, minutes: number, latitudeDeg: number, longitudeDeg: number): number {
  let sum = 0;
  for (let m = 0; m < minutes; m++) sum += haurwitzGhi(cosZenith(start + m * 60 + 30, latitudeDeg, longitudeDeg));
  return sum / minutes;
}

/** Kasten & Czeplak: GHI under cloud cover c (0 clear … 1 overcast) = clear-sky GHI · (1 − 0.75 c^3.4). */
export function cloudFactor(cover: number): number {
  return 1 - 0.75 * Math.pow(Math.min(1, Math.max(0, cover)), 3.4);
}

export interface CloudProcess {
  /** Mean cloud cover of the day, 0 (clear) … 1 (overcast). */
  readonly mean: number;
  /** Lag-one autocorrelation per 30 minutes (default 0.85: weather changes over hours). */
  readonly persistence?: number;
}

/**
 * Cloud cover per period: c₀ = μ + σ·ε₀, c_{k+1} = μ + φ·(c_k − μ) + σ·√(1 − φ²)·ε_k, clipped to
 * [0, 1], with ε standard normal from `random`, φ the persistence over one period and the
 * stationary spread σ = 0.4·√(μ(1 − μ)) — none at 0 (clear all day) and 1 (overcast all day).
 */
export function cloudCover(
  periods: number,
  periodMinutes: number,
  process: CloudProcess,
  random: SeededRandom,
): Float64Array {
  const mu = process.mean;
  if (!(mu >= 0 && mu <= 1)) throw new RangeError(`the mean cloud cover must be within 0..1, got ${mu}`);
  const perHalfHour = process.persistence ?? 0.85;
  if (!(perHalfHour >= 0 && perHalfHour < 1))
    throw new RangeError(`persistence must be within [0, 1), got ${perHalfHour}`);
  const phi = Math.pow(perHalfHour, periodMinutes / 30);
  const sigma = 0.4 * Math.sqrt(mu * (1 - mu));
  const innovation = sigma * Math.sqrt(1 - phi * phi);
  const out = new Float64Array(periods);
  let c = mu + sigma * random.normal();
  for (let k = 0; k < periods; k++) {
    c = Math.min(1, Math.max(0, c));
    out[k] = c;
    c = mu + phi * (c - mu) + innovation * random.normal();
  }
  return out;
}

/** A PV array's output as a fraction of its rating for a mean GHI (W/m²) and a cloud cover. */
export function pvAvailability(meanGhi: number, cover: number): number {
  return Math.min(1, Math.max(0, meanGhi / STC_IRRADIANCE)) * cloudFactor(cover);
}
