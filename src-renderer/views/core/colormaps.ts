/**
 * Colour maps for the 3-D views. The palettes live in src-shared/figures/palette.ts so that the
 * 2-D figures (app and report) and the 3-D views draw the same colours; this file keeps the
 * views' imports working.
 */
export { CATEGORICAL, OKABE_ITO, TAB20, categorical, srgbToLinear, toCss, viridis, type RGB } from '@shared/figures/palette'
