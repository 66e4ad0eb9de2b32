/** Public face of the 3-D view core (framework-free; the Svelte wrappers sit on top). */
export { CATEGORICAL, OKABE_ITO, TAB20, categorical, srgbToLinear, viridis, toCss, type RGB } from './colormaps'
export {
  axisNames,
  boundsOf,
  buildCloudBuffers,
  checkColumns,
  chooseAxisColumn,
  featureNames,
  buildTrackBuffers,
  cloudRangeForTimes,
  colorChoices,
  countingOrder,
  hasSeveralTimes,
  layoutBounds,
  makeLayout,
  pointCount,
  rankRange,
  tailWindow,
  timeIndex,
  toData,
  toWorld,
  trackSegments,
  vertexColors,
  worldPositions,
  type AxisSpec,
  type Bounds,
  type CloudBuffers,
  type ColorBy,
  type Layout,
  type PointsLike,
  type TimeIndex,
  type TrackBuffers,
  type TrackSegments,
} from './buffers'
export { fitCamera, sphereInView, type CameraFit } from './camera'
export { axisTitle, formatTick, niceTicks } from './ticks'
export { legendModel, type Legend } from './legend'
export { drawLegend } from './figure'
export { FrameScheduler } from './scheduler'
export { buildAxisBox, canvasText, disposeObject, type TextFactory } from './axisBox'
export { CloudsLayer, TracksLayer, pointMaterial, type CloudStyle, type Marker } from './layers'
export { Viewer3D, downloadDataUrl, viewerFor, type ViewerOptions } from './viewer'
export {
  formatValue,
  highlightTrack,
  nextTimeIndex,
  pickSegment,
  pickSegmentScreen,
  projectAll,
  pickVertex,
  toScreen,
  trackInfo,
  trackName,
  trackRanges,
  type SegmentPick,
  type TrackInfo,
} from './pick'
