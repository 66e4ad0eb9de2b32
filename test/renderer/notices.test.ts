import { describe, expect, it } from 'vitest'
import { invalidInput, serializeError } from '@shared/errors'
import { asSerialized, noticeForError } from '../../src-renderer/lib/notices'
import { formatCount, formatTracks, formatUnits } from '../../src-renderer/lib/format'

describe('noticeForError', () => {
  const msg = '"notes.txt" is not a PopDyn Studio project (not an SQLite database).'

  it('shows invalid-input, io and numerical messages verbatim, as sticky errors', () => {
    for (const kind of ['invalid-input', 'io', 'numerical'] as const) {
      const n = noticeForError({ kind, name: 'PopdynError', message: msg }, 'Open project')
      expect(n?.message).toBe(msg)
      expect(n?.level).toBe('error')
      expect(n?.sticky).toBe(true)
      expect(n?.kind).toBe(kind)
    }
  })

  it('shows bugs as "Unexpected error" with their message', () => {
    const n = noticeForError(new TypeError('x is undefined'))
    expect(n?.title).toBe('Unexpected error')
    expect(n?.message).toBe('x is undefined')
  })

  it('shows nothing for a cancellation', () => {
    expect(noticeForError({ kind: 'cancelled', name: 'CancelledError', message: 'Cancelled' })).toBeNull()
  })

  it('reads the error thrown by call() (kind + serialized) and serialized PopdynErrors', () => {
    const serialized = serializeError(invalidInput(msg))
    const thrown = Object.assign(new Error(serialized.message), { kind: serialized.kind, serialized })
    expect(asSerialized(thrown).kind).toBe('invalid-input')
    expect(noticeForError(thrown)?.message).toBe(msg)
    expect(asSerialized('boom')).toMatchObject({ kind: 'bug', message: 'boom' })
  })
})

describe('format', () => {
  it('formats units as "space / time", with calibration for px and frame', () => {
    expect(formatUnits({ space: 'µm', time: 'min', pixelSize: null, frameInterval: null, frameIntervalUnit: null })).toBe('µm / min')
    expect(formatUnits({ space: 'px', time: 'frame', pixelSize: 0.65, frameInterval: 5, frameIntervalUnit: 'min' })).toBe('px (0.65 µm) / frame (5 min)')
    expect(formatUnits({ space: 'px', time: 'frame', pixelSize: 0.65, frameInterval: 5, frameIntervalUnit: null })).toBe('px (0.65 µm) / frame (5)')
  })

  it('formats counts and the tracks column', () => {
    expect(formatCount(1234567)).toBe('1,234,567')
    expect(formatTracks({ kind: 'tracks', entities: 1200 })).toBe('1,200')
    expect(formatTracks({ kind: 'snapshots', entities: 0 })).toBe('—')
  })
})
