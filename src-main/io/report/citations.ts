/**
 * The papers behind each method (SPEC table, /work/shared/papers/README.md and the engines' doc
 * comments) and the "methods" paragraph a user can paste into a manuscript.
 */
import { APP_NAME } from '@shared/version'

export interface Citation {
  key: string
  text: string
}

export const CITATIONS: Record<string, Citation> = {
  ensembles: { key: 'ensembles', text: 'Mixtures of ensembles: system separation and identification via optimal transport.' },
  species: {
    key: 'species',
    text: 'D. A. Messenger, G. E. Wheeler, X. Liu, D. M. Bortz. Learning anisotropic interaction rules from individual trajectories in a heterogeneous cellular population. J. R. Soc. Interface (2022), arXiv:2204.14141.',
  },
  jkonet: { key: 'jkonet', text: 'C. Bunne, L. Papaxanthos, A. Krause, M. Cuturi. Proximal optimal transport modeling of population dynamics. AISTATS (2022).' },
  ijkonet: { key: 'ijkonet', text: 'Persiianov et al. Learning of population dynamics: inverse optimization meets JKO scheme.' },
  wlm: { key: 'wlm', text: 'Guan et al. A call to Lagrangian action: learning population mechanics from temporal snapshots (Wasserstein Lagrangian Mechanics).' },
  okabe: { key: 'okabe', text: 'M. Okabe, K. Ito. Color universal design (CUD): how to make figures and presentations that are friendly to colorblind people (2008). (Figure palette.)' },
}

const fmt = (v: unknown) => (typeof v === 'number' ? String(Number(v.toPrecision(6))) : typeof v === 'string' ? v : JSON.stringify(v))

/** One paragraph describing what was run, with its settings, the software and the seed; `[1]` refers to the method's paper. */
export function methodsParagraph(a: {
  method: string
  params: Record<string, unknown>
  version: string
  backend: string
  seed: number | null
  dataset: { name: string; kind: string; rows: number; entities: number; times: number; dim: number; space: string; time: string }
}): string {
  const p = a.params
  const sw = `${APP_NAME} ${a.version} (compute backend ${a.backend}${a.seed === null ? '' : `, random seed ${a.seed}`})`
  const data =
    a.dataset.kind === 'tracks'
      ? `${a.dataset.entities} tracks (${a.dataset.rows} observations, ${a.dataset.times} time points, ${a.dataset.dim}-D positions in ${a.dataset.space})`
      : `${a.dataset.rows} cells observed in ${a.dataset.times} snapshots (${a.dataset.dim} features)`
  switch (a.method) {
    case 'ensembles':
      return `The population (${data}) was separated into ${p.chooseK ? `K ensembles (K chosen among 1..${fmt(p.maxK ?? 5)} at the largest drop of the optimal objective)` : `K = ${fmt(p.K)} ensembles`} with linear dynamics x(t+1) = ${p.affine ? 'A_k x(t) + b_k' : 'A_k x(t)'} by optimal-transport ensemble separation [1]: transport plans between consecutive snapshots and the matrices A_k were updated alternately (block-coordinate descent, at most ${fmt(p.maxIter)} iterations, relative tolerance ${fmt(p.tol)}), starting from trajectory hypotheses screened by the relaxed transport objective and random restarts (${fmt(p.restarts)}), keeping the lowest objective; plans were solved ${p.solver === 'entropic' ? `with entropic regularisation (ε = ${fmt(p.epsRelative)} × mean cost)` : p.solver === 'exact' ? 'exactly (linear programme, by column generation)' : 'exactly (linear programme, by column generation) or with entropic regularisation, chosen by problem size'}. Each particle was labelled with the ensemble carrying most of its transported mass. Computed with ${sw}.`
    case 'species':
      return `Species were identified from ${data} with weak-form sparse identification of nonlinear dynamics (WSINDy) for interacting particles [1]: for each focal cell a force model (attraction–repulsion, alignment and drag with directional modes) was learned by weak-form sparse regression; cells whose validation error ΔV fell below ${fmt(p.acceptError)} were assigned to the current species, rounds separated explained from unexplained cells with a two-component Gaussian mixture on log10 ΔV (${fmt(p.gmmRestarts)} restarts, BIC model choice), up to ${fmt(p.maxSpecies)} species; attraction–repulsion was constrained to be attractive or zero beyond r = ${fmt(p.rFar)} ${a.dataset.space}. Computed with ${sw}.`
    case 'jkonet':
      return `The dynamics of ${data} were modelled as a JKO flow of a learned energy with JKOnet [1]${p.method === 'forward' ? ' (forward-method baseline)' : ''}: an energy network and an input-convex network computing each JKO step (time step τ = ${fmt(p.tau)}) were trained for ${fmt(p.epochs)} epochs${p.teacherForcing ? ' with teacher forcing' : ''} to match consecutive snapshots in Sinkhorn divergence. Predictions were evaluated by the one-step exact Wasserstein-1 distance to the next observed snapshot, next to a no-motion baseline. Computed with ${sw}.`
    case 'ijkonet':
      return `The dynamics of ${data} were modelled with iJKOnet [1], inverse optimisation of the JKO scheme, learning ${p.variant === 'ijkonet' ? 'a free energy (potential, interaction and diffusion terms)' : p.variant === 'ijkonet-tv' ? 'a time-varying potential energy' : 'a potential energy'} and a transport map by a min–max objective (time step τ = ${fmt(p.tau)}, Adam learning rates ${fmt(p.lrEnergy)} (energy) and ${fmt(p.lrMap)} (map), up to ${fmt(p.epochs)} epochs with early stopping on held-out points). Predictions were evaluated by the one-step exact Wasserstein-1 distance to the next observed snapshot, next to a no-motion baseline. Computed with ${sw}.`
    case 'wlm':
      return `Population mechanics of ${data} were learned with Wasserstein Lagrangian Mechanics [1]: a permutation-invariant (self-attention) population potential energy and ${p.learnFriction ? 'a learned' : 'a fixed'} friction (initial γ = ${fmt(p.friction)}) were trained for ${fmt(p.epochs)} epochs (Adam, learning rate ${fmt(p.lr)}), with initial velocities ${p.initialVelocity === 'ot' ? 'estimated by optimal transport between the first two snapshots' : p.initialVelocity === 'data' ? 'taken from the data' : 'set to zero'}, so that particles rolled out from the first snapshot reproduce the later ones. Roll-outs were evaluated by the exact Wasserstein-1 distance to each observed snapshot. Computed with ${sw}.`
    default:
      return `Run with ${sw}; method ${a.method}.`
  }
}
