/**
 * Benchmark measures (paper §IV): ensembles are matched to the truth by the permutation with the
 * smallest total parameter error, then the relative error ‖θ̂ − θ‖/‖θ‖ (Frobenius over all k)
 * and the fraction of correctly labelled particles (over all times).
 */
function permutations(n: number): number[][] {
  if (n === 1) return [[0]]
  const out: number[][] = []
  for (const p of permutations(n - 1)) for (let i = 0; i <= p.length; i++) out.push([...p.slice(0, i), n - 1, ...p.slice(i)])
  return out
}

/** perm[k] = index of the estimated ensemble matched to true ensemble k. */
export function matchEnsembles(estimated: Float64Array[], truth: Float64Array[]): number[] {
  let best: number[] = []
  let bestErr = Infinity
  for (const p of permutations(truth.length)) {
    let e = 0
    for (let k = 0; k < truth.length; k++) {
      const a = estimated[p[k]!]!, b = truth[k]!
      for (let q = 0; q < b.length; q++) e += (a[q]! - b[q]!) ** 2
    }
    if (e < bestErr) {
      bestErr = e
      best = p
    }
  }
  return best
}

export function relativeParameterError(estimated: Float64Array[], truth: Float64Array[], perm = matchEnsembles(estimated, truth)): number {
  let num = 0
  let den = 0
  for (let k = 0; k < truth.length; k++) {
    const a = estimated[perm[k]!]!, b = truth[k]!
    for (let q = 0; q < b.length; q++) {
      num += (a[q]! - b[q]!) ** 2
      den += b[q]! ** 2
    }
  }
  return Math.sqrt(num / den)
}

/** Fraction of (time, particle) labels equal to the truth after matching ensembles. */
export function labelAccuracy(labels: Int32Array[], truth: Int32Array[], perm: number[]): number {
  const inv = new Map<number, number>()
  perm.forEach((est, k) => inv.set(est, k))
  let ok = 0
  let n = 0
  labels.forEach((lab, t) => {
    for (let i = 0; i < lab.length; i++) {
      if (inv.get(lab[i]!) === truth[t]![i]) ok++
      n++
    }
  })
  return ok / n
}
