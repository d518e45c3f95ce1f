/**
 * Daily credits granted and spent over the billing period, drawn as an accessible SVG bar chart
 * (a data table with the same numbers sits next to it for screen readers).
 */
export interface DailyUsage {
  date: string;
  spent: number;
  granted: number;
}

export function UsageChart({ daily, title = 'Credits per day' }: { daily: DailyUsage[]; title?: string }) {
  const width = 720;
  const height = 220;
  const pad = { top: 12, right: 12, bottom: 28, left: 36 };
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const max = Math.max(1, ...daily.map((d) => Math.max(d.spent, d.granted)));
  const niceMax = niceCeil(max);
  const slot = daily.length ? innerW / daily.length : innerW;
  const barW = Math.max(2, Math.min(18, slot / 2 - 2));
  const y = (v: number) => pad.top + innerH - (v / niceMax) * innerH;
  const ticks = [0, niceMax / 2, niceMax];
  const labelEvery = Math.max(1, Math.ceil(daily.length / 8));
  const total = daily.reduce((a, d) => a + d.spent, 0);
  return (
    <figure style={{ margin: 0 }}>
      <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby="usage-chart-title usage-chart-desc">
        <title id="usage-chart-title">{title}</title>
        <desc id="usage-chart-desc">{`${daily.length} days, ${total} credits spent in total, at most ${max} in a day.`}</desc>
        {ticks.map((t) => (
          <g key={t}>
            <line className="axis" x1={pad.left} x2={width - pad.right} y1={y(t)} y2={y(t)} strokeDasharray={t === 0 ? undefined : '3 4'} />
            <text x={pad.left - 6} y={y(t) + 4} textAnchor="end">{Math.round(t)}</text>
          </g>
        ))}
        {daily.map((d, i) => {
          const x = pad.left + i * slot + slot / 2;
          return (
            <g key={d.date}>
              <rect className="bar-granted" x={x - barW - 1} y={y(d.granted)} width={barW} height={Math.max(0, pad.top + innerH - y(d.granted))} rx={2}>
                <title>{`${d.date}: ${d.granted} granted`}</title>
              </rect>
              <rect className="bar-spent" x={x + 1} y={y(d.spent)} width={barW} height={Math.max(0, pad.top + innerH - y(d.spent))} rx={2}>
                <title>{`${d.date}: ${d.spent} spent`}</title>
              </rect>
              {i % labelEvery === 0 ? (
                <text x={x} y={height - 8} textAnchor="middle">{d.date.slice(5)}</text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption className="legend"><span className="l-spent">Spent</span><span className="l-granted">Granted</span></figcaption>
    </figure>
  );
}

function niceCeil(v: number): number {
  const pow = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * pow >= v) return m * pow;
  return 10 * pow;
}
