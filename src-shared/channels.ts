/**
 * The contract's channel names as plain data (no zod), for the sandboxed preload, which cannot
 * load npm packages. contract.ts is checked against this list at compile time and in tests.
 */
export const CHANNEL_NAMES = [
  'app.info',
  'project.create',
  'project.open',
  'project.current',
  'project.recent',
  'datasets.list',
  'import.inspect',
  'datasets.points',
  'runs.list',
  'runs.export',
  'runs.report',
  'runs.figures',
  'jobs.start',
  'jobs.cancel',
  'jobs.list',
] as const
export type ChannelName = (typeof CHANNEL_NAMES)[number]

/** Name of the single event channel (Electron) for JobEvents. */
export const EVENT_CHANNEL = 'popdyn:event'
/** Prefix of every IPC channel; anything else is refused. */
export const CHANNEL_PREFIX = 'popdyn:'
