import type { Stack } from './costs'
import type { SparseStack } from './sparse'

export interface EnsembleLabels {
  labels: Int32Array[]
  confidence: Float64Array[]
  ensembleMass: Float64Array
}

/**
 * Ensemble label of every particle at every time: argmax_k of its mass in ensemble k
 * (outgoing mass for t < T, incoming mass for t = T), with that mass fraction as confidence.
 */
export function labelsFromPlans(P: Stack, N: number[]): EnsembleLabels {
  const T = N.length - 1
  return labelsFromMass(P.length, N, (k, t, mass) => {
    const n = N[t]!
    if (t < T) {
      const p = P[k]![t]!
      const m = N[t + 1]!
      for (let i = 0; i < n; i++) {
        let s = 0
        for (let j = 0; j < m; j++) s += p[i * m + j]!
        mass[k * n + i] = s
      }
    } else {
      const p = P[k]![t - 1]!
      const prev = N[t - 1]!
      for (let i = 0; i < prev; i++) for (let j = 0; j < n; j++) mass[k * n + j] = mass[k * n + j]! + p[i * n + j]!
    }
  })
}

/** labelsFromPlans on plans kept on sparse supports (sparse.ts). */
export function labelsFromSparsePlans(P: SparseStack, N: number[]): EnsembleLabels {
  const T = N.length - 1
  return labelsFromMass(P.length, N, (k, t, mass) => {
    const n = N[t]!
    const p = P[k]![t < T ? t : t - 1]!
    const rows = t < T ? n : N[t - 1]!
    for (let i = 0; i < rows; i++)
      for (let q = p.ptr[i]!; q < p.ptr[i + 1]!; q++) {
        const at = t < T ? i : p.col[q]!
        mass[k * n + at] = mass[k * n + at]! + p.val[q]!
      }
  })
}

/** Labels from each particle's mass per ensemble; `fill(k, t, mass)` adds ensemble k's masses at time t into mass[k·n + i]. */
function labelsFromMass(K: number, N: number[], fill: (k: number, t: number, mass: Float64Array) => void): EnsembleLabels {
  const labels: Int32Array[] = []
  const confidence: Float64Array[] = []
  const ensembleMass = new Float64Array(K)
  for (let t = 0; t < N.length; t++) {
    const n = N[t]!
    const mass = new Float64Array(K * n)
    for (let k = 0; k < K; k++) fill(k, t, mass)
    const lab = new Int32Array(n)
    const conf = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      let best = 0
      let tot = 0
      for (let k = 0; k < K; k++) {
        tot += mass[k * n + i]!
        if (mass[k * n + i]! > mass[best * n + i]!) best = k
      }
      lab[i] = best
      conf[i] = tot > 0 ? mass[best * n + i]! / tot : 0
    }
    if (t === 0) for (let k = 0; k < K; k++) for (let i = 0; i < n; i++) ensembleMass[k] = ensembleMass[k]! + mass[k * n + i]!
    labels.push(lab)
    confidence.push(conf)
  }
  const tot = ensembleMass.reduce((s, x) => s + x, 0)
  if (tot > 0) for (let k = 0; k < K; k++) ensembleMass[k] = ensembleMass[k]! / tot
  return { labels, confidence, ensembleMass }
}
