/**
 * Issue 8 regression: WLM on the gradient-flow SDE benchmark (peers.md §2.5), Ψ = ½‖x‖², σ = 1,
 * x₀ ~ N(0, 0.2·I), unpaired snapshots every 0.01. The law stays Gaussian, N(0, s(t)·I) with
 * s(t) = ½ − 0.3·e^{−2t} per coordinate: the cloud *spreads* (diffusion beats the drift) and its
 * motion is first order. The old training default (scheme 'exponential', dv/dt = F − γv) could
 * only fit that inertially (x − x₀ ≈ ½Ft², γ learned downwards), which overshoots past the
 * training window: the forecast was worse than "no motion". With the default 'reference'
 * scheme and an overdamped start (γ₀·h ≫ 1) the learned flow is first order.
 *
 * Checked on the forecast from μ₀ to t = 0.2 (twice the training window) against the exact law:
 * the spread error |tr Cov − 2s(t)| (free of the W1 sampling floor, which at this N is larger than
 * the whole motion) and W1 to the observed μ(0.2), each against "no motion" (μ₀ held).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src-main/compute/backend'
import { forecast, trainWlm } from '../../../../src-main/engines/wlm/index'
import { emd } from '../../../../src-main/engines/ot/index'
import { bw2, gaussianFit } from '../../../../src-main/engines/metrics/index'
import { gradientFlowSde } from '../../../../src-main/engines/synth/sde'
import type { PointCloud } from '../../../../src-main/engines/ot/types'

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' })
})

/** Per-coordinate variance of the exact law. */
const s = (t: number) => 0.5 - 0.3 * Math.exp(-2 * t)
/**
 * W2 between the Gaussian fitted to a 2-D cloud (mean m̂, covariance Σ̂) and N(0, v·I):
 * W2² = ‖m̂‖² + tr Σ̂ + 2v − 2√v (√λ₁ + √λ₂), λ the eigenvalues of Σ̂ (Bures formula).
 */
function lawW2(c: PointCloud, v: number): number {
  return Math.sqrt(bw2(gaussianFit(c, { ddof: 0 }), { mean: new Float64Array(2), cov: Float64Array.of(v, 0, 0, v), d: 2 }))
}

describe('WLM on the gradient-flow SDE (issue 8)', () => {
  it('quadratic potential, unpaired: the forecast to twice the training window follows the true law and beats "no motion"', async () => {
    // coarser grid than the benchmark (dt 0.05 instead of 0.01) so that the motion is visible above
    // the sampling noise of 256 particles; train on t = 0 … 0.25, forecast to t = 0.5
    const data = gradientFlowSde({ potential: 'poly', n: 256, steps: 10, dt: 0.05, seed: 1, independent: true })
    const nTrain = 6
    const res = await trainWlm(
      { snapshots: data.snapshots.slice(0, nTrain), times: data.times.slice(0, nTrain) },
      {
        architecture: { hidden: 8, heads: 1, layers: 1, ff: 16 },
        epochs: 30, lr: 1e-2, batchSize: 256, friction: 1000, learnFriction: true, initialVelocity: 'zero', seed: 0,
      },
    )
    expect(res.status).toBe('max-iterations')
    const mu0 = data.snapshots[0]!, mu10 = data.snapshots[10]!
    const f = forecast(res.model, mu0, null, 0, [0.5], [mu10], { step: 0.01 })
    // Measured: law W2 0.086 vs 0.247 for μ₀ held, W1 0.174 vs 0.256 (data seed 2: 0.105 vs 0.224 and
    // 0.180 vs 0.209; model seed 1: 0.092, 0.203). The old default (scheme 'exponential', γ₀ = 1,
    // 40 epochs) overshoots: law W2 0.46, W1 0.47 (variance 1.7 vs the true 0.78): this test fails.
    const lawStatic = lawW2(mu0, s(0.5))
    expect(lawStatic).toBeGreaterThan(0.2)
    expect(lawW2(f.positions[0]!, s(0.5))).toBeLessThan(0.6 * lawStatic)
    expect(f.w1[0]!).toBeLessThan(emd(mu0, mu10))
    expect(res.friction).toBeGreaterThan(100) // stays overdamped: γh/2 > 2.5
    res.model.dispose()
  })
})
