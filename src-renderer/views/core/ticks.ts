/** Axis ticks and labels, pure. Shared with the 2-D figures: see src-shared/figures/ticks.ts. */
export { axisTitle, formatTick, niceTicks } from '@shared/figures/ticks'
