/**
 * Render on demand (P15, after threlte's `renderMode: 'on-demand'`): `invalidate()` asks for one
 * frame; any number of calls before that frame coalesce into one render. Nothing draws
 * without an invalidate, so an idle view costs no GPU time.
 */
export class FrameScheduler {
  private pending: number | null = null
  private disposed = false
  /** Frames rendered so far (for tests and diagnostics). */
  frames = 0

  constructor(
    private readonly render: () => void,
    private readonly raf: (cb: () => void) => number = (cb) => requestAnimationFrame(cb),
    private readonly caf: (id: number) => void = (id) => cancelAnimationFrame(id),
  ) {}

  invalidate(): void {
    if (this.disposed || this.pending !== null) return
    this.pending = this.raf(() => {
      this.pending = null
      if (this.disposed) return
      this.frames++
      this.render()
    })
  }

  /** Renders now (synchronously), cancelling a pending frame: for PNG export. */
  flush(): void {
    if (this.disposed) return
    if (this.pending !== null) this.caf(this.pending)
    this.pending = null
    this.frames++
    this.render()
  }

  dispose(): void {
    this.disposed = true
    if (this.pending !== null) this.caf(this.pending)
    this.pending = null
  }
}
