// A hand-written SVG: one horizontal bar chart panel per measure, stacked.

export interface Bar {
  label: string;
  value: number;
  /** Index into the panel's series (colour and legend). */
  series?: number;
  text?: string;
}

export interface Panel {
  title: string;
  bars: Bar[];
  series?: string[];
  /** Log scale (for speed-ups spanning orders of magnitude). */
  log?: boolean;
}

const COLORS = ['#3b6fb6', '#e08a2c', '#4a9a5b', '#b04a6a'];
const W = 1000, LABEL = 330, PLOT = 440, ROW = 20, BAR = 14;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function panel(p: Panel, top: number): { svg: string; height: number } {
  const max = Math.max(...p.bars.map((b) => b.value), 1e-9);
  const scale = (v: number) => (p.log ? (Math.log10(Math.max(v, 1)) / Math.log10(Math.max(max, 10))) * PLOT : (v / max) * PLOT);
  const out = [`<text x="10" y="${top + 18}" class="title">${esc(p.title)}</text>`];
  (p.series ?? []).forEach((name, i) => {
    const x = W - 20 - 130 * Math.max(2, p.series!.length) + i * 130; // right of the title
    out.push(`<rect x="${x}" y="${top + 8}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${x + 16}" y="${top + 18}">${esc(name)}</text>`);
  });
  p.bars.forEach((b, i) => {
    const y = top + 30 + i * ROW;
    const w = Math.max(1, scale(b.value));
    out.push(
      `<text x="${LABEL - 8}" y="${y + BAR - 3}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${LABEL}" y="${y}" width="${w.toFixed(1)}" height="${BAR}" fill="${COLORS[(b.series ?? 0) % COLORS.length]}"/>`,
      `<text x="${(LABEL + w + 6).toFixed(1)}" y="${y + BAR - 3}">${esc(b.text ?? String(b.value))}</text>`,
    );
  });
  return { svg: out.join('\n'), height: 40 + p.bars.length * ROW + 10 };
}

export function barChart(title: string, panels: Panel[]): string {
  let y = 36;
  const parts: string[] = [];
  for (const p of panels.filter((p) => p.bars.length > 0)) {
    const { svg, height } = panel(p, y);
    parts.push(svg);
    y += height;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 10}" viewBox="0 0 ${W} ${y + 10}" font-family="sans-serif" font-size="12">`,
    '<style>.title{font-weight:bold;font-size:14px}</style>',
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" class="title" font-size="16">${esc(title)}</text>`,
    ...parts,
    '</svg>',
  ].join('\n');
}
