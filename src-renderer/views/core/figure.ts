/**
 * "Save PNG" with the legend: the HTML legend beside a view is not part of the WebGL canvas, so
 * the exported figure draws it again, with the same layout as Legend.svelte (top right, 8 px in,
 * title, swatches or the viridis bar with its end values), onto a 2-D copy of the frame.
 */
import { toCss, viridis } from './colormaps'
import type { Legend } from './legend'

/**
 * Draws `legend` into the top-right corner of a 2-D context whose canvas is `width` device px
 * wide; sizes are CSS px times `pixelRatio`. Returns the box drawn ([x, y, w, h], device px),
 * or null for no legend.
 */
export function drawLegend(ctx: CanvasRenderingContext2D, legend: Legend | null, width: number, pixelRatio = 1): [number, number, number, number] | null {
  if (!legend) return null
  const k = pixelRatio
  const font = (weight: string) => `${weight} ${12 * k}px system-ui, sans-serif`
  const pad = 8 * k
  const line = 18 * k
  ctx.save()
  ctx.font = font('600')
  let inner = ctx.measureText(legend.title).width
  ctx.font = font('400')
  const rows: string[] = legend.kind === 'categorical' ? legend.items.map((i) => i.name) : []
  if (legend.kind === 'categorical') {
    for (const r of rows) inner = Math.max(inner, 18 * k + ctx.measureText(r).width)
    if (legend.more > 0) inner = Math.max(inner, ctx.measureText(`+${legend.more} more`).width)
  } else inner = Math.max(inner, 160 * k)
  inner = Math.min(inner, 204 * k)
  const lines = legend.kind === 'categorical' ? rows.length + (legend.more > 0 ? 1 : 0) : 2
  const h = pad * 2 + line + lines * line
  const w = inner + pad * 2
  const x = width - 8 * k - w
  const y = 8 * k
  ctx.fillStyle = 'rgba(255, 255, 255, 0.9)'
  ctx.strokeStyle = '#ddd'
  ctx.lineWidth = k
  ctx.fillRect(x, y, w, h)
  ctx.strokeRect(x + 0.5 * k, y + 0.5 * k, w - k, h - k)
  ctx.textBaseline = 'middle'
  ctx.fillStyle = '#222'
  ctx.font = font('600')
  ctx.fillText(legend.title, x + pad, y + pad + line / 2, inner)
  ctx.font = font('400')
  let cy = y + pad + line
  if (legend.kind === 'categorical') {
    for (const item of legend.items) {
      ctx.fillStyle = item.color
      ctx.fillRect(x + pad, cy + line / 2 - 6 * k, 12 * k, 12 * k)
      ctx.fillStyle = '#222'
      ctx.fillText(item.name, x + pad + 18 * k, cy + line / 2, inner - 18 * k)
      cy += line
    }
    if (legend.more > 0) {
      ctx.fillStyle = '#666'
      ctx.fillText(`+${legend.more} more`, x + pad, cy + line / 2, inner)
    }
  } else {
    const g = ctx.createLinearGradient(x + pad, 0, x + pad + 160 * k, 0)
    for (let i = 0; i <= 10; i++) g.addColorStop(i / 10, toCss(viridis(i / 10)))
    ctx.fillStyle = g
    ctx.fillRect(x + pad, cy + line / 2 - 5 * k, 160 * k, 10 * k)
    cy += line
    ctx.fillStyle = '#222'
    ctx.textAlign = 'left'
    ctx.fillText(legend.min, x + pad, cy + line / 2)
    ctx.textAlign = 'right'
    ctx.fillText(legend.max, x + pad + 160 * k, cy + line / 2)
  }
  ctx.restore()
  return [x, y, w, h]
}
